"""Form helpers shared by every feature: select choices, and ``submit``, the one form view.

``submit`` is the service-call → errors → 422 pattern of every form page::

    form = InviteForm()
    return forms.submit(
        form,
        lambda: service.invite(actor=current_user, email=form.email.data, role=form.role.data),
        success=lambda inv: htmx.redirect(url_for("users.index")),
        template="users/invite.html",
        fragment="users/_invite_form.html",
    )

GET → the form (200). POST → WTForms validation; when valid, ``action()`` calls the service.
A ``ServiceError`` goes onto the field its ``code`` names (``fields`` maps other codes), else onto
the form; the form is re-rendered with the input kept, status 422 (a refusal of the request
itself — 402, 403, 404 — keeps its status), as the htmx fragment or the full page. On success
``success`` is called with the service's result (or, when it is a string, POST-redirect-GET to
that URL).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from flask import Response
from flask_babel import gettext as _
from markupsafe import Markup, escape
from wtforms import Field, Form
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import Select, html_params

from saas import htmx
from saas.errors import ServiceError
from saas.formatting import calendar_date, parse_user_date, user_calendar


class LongSelect(Select):
    """WTForms' ``Select`` with the same HTML, written a few times faster for plain options
    (no per-option attributes): for lists of every colleague, drawn on each list page."""

    @classmethod
    def render_option(cls, choice: SelectChoice, **kwargs: Any) -> Markup:
        if kwargs or choice.render_kw or isinstance(choice.value, bool):
            return super().render_option(choice, **kwargs)
        label = escape(choice.label or choice.value)
        selected = "selected " if choice.selected else ""
        # both parts escaped above, as html_params and WTForms' render_option escape them
        return Markup(f'<option {selected}value="{escape(choice.value)}">{label}</option>')  # noqa: S704


def options(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """``(value, label)`` pairs as WTForms select choices."""
    return [SelectChoice(str(value), str(label)) for value, label in pairs]


def add_error(form: Form, exc: ServiceError, fields: Mapping[str, str] | None = None) -> None:
    """Put a service's refusal on the field its code names (or ``fields[code]``), else the form."""
    name = (fields or {}).get(exc.code, exc.code)
    field = form._fields.get(name) if name else None
    if field is not None and field.type not in ("CSRFTokenField", "HiddenField"):
        field.errors = [*field.errors, exc.message]
    else:
        form.form_errors.append(exc.message)


def error_status(exc: ServiceError) -> int:
    """422 for a refused input (invalid, or conflicting like a taken email); a refusal of the
    request itself keeps its status (402 no seat, 403, 404)."""
    return 422 if exc.status in (400, 409, 422) else exc.status


def submit(
    form: Form,
    action: Callable[[], Any],
    *,
    success: str | Callable[[Any], Response],
    template: str | Callable[[int], Response],
    fragment: str | None = None,
    fields: Mapping[str, str] | None = None,
    context: Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None = None,
    form_name: str = "form",
) -> Response:
    """Validate ``form``, call ``action``, answer success or re-render with the errors.

    ``template`` is the page (or ``fn(status) -> Response`` for a page of several forms);
    ``fragment`` is what htmx gets instead of the page. The template sees ``form`` (as
    ``form_name``), ``error`` (the ``ServiceError``, if any) and ``context``.
    """
    status = 200
    error: ServiceError | None = None
    if form.validate_on_submit():
        try:
            result = action()
        except ServiceError as exc:
            error = exc
            add_error(form, exc, fields)
            status = error_status(exc)
        else:
            if isinstance(success, str):
                return htmx.redirect(success)
            return success(result)
    elif form.is_submitted():
        status = 422
    if callable(template):
        return template(status)
    extra = dict(context() if callable(context) else (context or {}))
    return htmx.render(template, fragment, status=status, error=error, **{form_name: form}, **extra)


def zone_choices(
    locale: str, country: str | None = None, keep: Iterable[str] = ()
) -> dict[str, list[SelectChoice]]:
    """Canonical time zones grouped by region (``<optgroup>``), named in ``locale``.

    With ``country``, only that country's zones, UTC and ``keep`` (the current choice): the
    short list a page shows first, with a link to all of them.
    """
    from saas.locales import timezone_groups, zones_of

    wanted = None if country is None else zones_of(country) | {"UTC", *keep}
    groups = {
        region: options(z for z in zones if wanted is None or z[0] in wanted)
        for region, zones in timezone_groups(locale)
    }
    return {region: choices for region, choices in groups.items() if choices}


#: The day every format hint shows (Jalali 1403/05/12): a day ≤ 12 would not tell month from day.
EXAMPLE_DAY = date(2024, 8, 2)


class CalendarDateInput:
    """``<input type=date>`` for Gregorian users (the browser's own picker); a text input with
    numeric keyboard and a placeholder for Jalali users, who type year/month/day."""

    def __call__(self, field: CalendarDateField, **kwargs: Any) -> Markup:
        kwargs.setdefault("id", field.id)
        if field.calendar_name() == "jalali":
            kwargs.update(type="text", inputmode="numeric", autocomplete="off", dir="ltr")
            kwargs.setdefault("placeholder", calendar_date(EXAMPLE_DAY, "jalali"))
            kwargs.setdefault("maxlength", 16)
        else:
            kwargs["type"] = "date"
        if "required" not in kwargs and field.flags.required:
            kwargs["required"] = True
        params = html_params(name=field.name, value=field._value(), **kwargs)
        return Markup(f"<input {params}>")  # noqa: S704 -- html_params escapes every value


class CalendarDateField(Field):
    """A date typed and shown in the user's calendar; ``data`` is always a Gregorian ``date``.

    A user who chose the Jalali calendar types ``1403/05/12`` (also in Persian or
    Arabic-Indic digits, ``/``, ``-`` or ``.`` between) and 2 August 2024 is stored; the field
    shows it back as 1403/05/12 (in Persian digits for Persian readers). Gregorian users get a
    native ``<input type=date>`` (ISO ``2024-08-02``; ``2024/08/02`` typed by hand is taken
    too). A day that does not exist is refused with a message giving the format.
    ``format_hint`` is shown under the input by the ``field`` macro. ``calendar`` fixes the
    calendar (tests, settings of the company); ``None`` follows the signed-in user.
    """

    widget = CalendarDateInput()

    def __init__(
        self, label: Any = None, validators: Any = None, calendar: str | None = None, **kw: Any
    ):
        super().__init__(label, validators, **kw)
        self.calendar = calendar

    def calendar_name(self) -> str:
        return self.calendar or user_calendar()

    @property
    def format_hint(self) -> str | None:
        if self.calendar_name() != "jalali":
            return None
        example = calendar_date(EXAMPLE_DAY, "jalali")
        return _("Year/month/day in the Persian calendar, e.g. %(example)s", example=example)

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return calendar_date(self.data, self.calendar_name()) if self.data else ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = str(valuelist[0]).strip() if valuelist else ""
        if not text:
            self.data = None
            return
        try:
            self.data = parse_user_date(text, self.calendar_name())
        except (ValueError, OverflowError):
            self.data = None
            example = calendar_date(EXAMPLE_DAY, self.calendar_name())
            raise ValueError(
                _("Not a date. Type year/month/day, e.g. %(example)s.", example=example)
            ) from None
