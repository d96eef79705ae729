"""The list and custom-field inputs of the customer form (new customer, and the edit form).

``customer_form(customer=None)`` builds the form: the base ``CustomerForm`` plus level,
industry, source (stage is the base's) and tags with the tenant's entries as choices (the
customer's archived entries stay selectable), and one input per live custom field in the
admin's order (``custom_inputs``). ``values(form)`` gives the keyword arguments
``customers.service.create_customer`` (and an edit) take.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

from saas.customers import lists
from saas.customers.attributes import ListKind
from saas.customers.forms import CustomerForm
from saas.customers.models import Customer, CustomerStage
from saas.forms import options


class BadgeCheckboxes(SelectMultipleField):
    """Tags: one checkbox per entry (the template shows each as its badge)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


#: Form field → list kind of the single-choice lists.
SINGLE = {
    "level": ListKind.LEVEL,
    "stage": ListKind.STAGE,
    "industry": ListKind.INDUSTRY,
    "source": ListKind.SOURCE,
}


def customer_form(customer: Customer | None = None, **kwargs: Any) -> CustomerForm:
    """``CustomerForm`` with the tenant's lists (and custom fields) for ``customer``."""
    # the service checks the choices (an archived or foreign entry is refused there)
    attrs: dict[str, Any] = {
        "level": SelectField(_l("Level"), validate_choice=False),
        "stage": SelectField(_l("Stage"), validate_choice=False),
        "industry": SelectField(_l("Industry"), validate_choice=False),
        "source": SelectField(_l("Source"), validate_choice=False),
        "tags": BadgeCheckboxes(_l("Tags"), validate_choice=False),
    }
    from saas.customers import fields as custom

    attrs.update(custom.form_fields())
    form_class = type("CustomerAttributesForm", (CustomerForm,), attrs)
    form = form_class(**kwargs)
    entries: dict[str, dict[int, Any]] = {}
    for name, kind in SINGLE.items():
        current = getattr(customer, lists.COLUMNS[kind]) if customer is not None else None
        offered = lists.offered(kind, keep=[current])
        entries[name] = {e.id: e for e in offered}
        blank = [] if kind == ListKind.STAGE else [("", "—")]
        getattr(form, name).choices = options([*blank, *((e.id, e.name) for e in offered)])
        if not form.is_submitted():
            if current is not None:
                getattr(form, name).data = str(current)
            elif kind == ListKind.STAGE and (first := lists.default_stage()) is not None:
                form.stage.data = str(first.id)
    current_tags = [t.id for t in lists.tags_of(customer)] if customer is not None else []
    tags = lists.offered(ListKind.TAG, keep=current_tags)
    form.tags.choices = options((e.id, e.name) for e in tags)
    if not form.is_submitted():
        form.tags.data = [str(t) for t in current_tags]
    form.list_entries = {**entries, "tags": {e.id: e for e in tags}}  # type: ignore[attr-defined]
    if customer is not None and not form.is_submitted():
        custom.fill(form, customer)
    return form


def _entry_id(value: Any) -> int | str | None:
    """A submitted choice: an entry id; a stage category (potential/active/ended) passes as
    itself; anything else becomes an id no entry has (refused by the service)."""
    if value in (None, ""):
        return None
    text = str(value)
    if text in set(CustomerStage):
        return text
    return int(text) if text.isdigit() and len(text) < 12 else -1


def values(form: CustomerForm) -> dict[str, Any]:
    """The form's list choices and custom fields as ``create_customer`` keyword arguments.

    An edit passes the same to ``lists.apply(customer, actor=, **values without custom_fields)``
    and ``fields.apply(customer, values["custom_fields"], actor)``.
    """
    from saas.customers import fields as custom

    out: dict[str, Any] = {name: _entry_id(getattr(form, name).data) for name in SINGLE}
    out["tags"] = [_entry_id(v) for v in form.tags.data or []]
    out["custom_fields"] = custom.form_values(form)
    return out
