"""Settings → Pool rules, and the reveal action of a pool customer's masked contacts."""

from __future__ import annotations

from typing import Any

from flask import flash, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from saas import htmx
from saas.access import permission_required
from saas.customers import bp, lists, pool
from saas.customers.pool import NUMBERS
from saas.customers.pool_forms import with_levels
from saas.forms import submit
from saas.settings import bp as settings_bp


@settings_bp.route("/pool", methods=["GET", "POST"])
@login_required
@permission_required("settings.manage")
def pool_rules() -> Any:
    rules = pool.current_rules()
    levels = [e for e in lists.entries("level") if not e.archived or e.id in rules["levels"]]
    form = with_levels(levels)()
    if not form.is_submitted():
        for name in (*NUMBERS, "mask_pool_contacts"):
            getattr(form, name).data = rules[name]
        for level_id, own in rules["levels"].items():
            for name, value in own.items():
                if (field := getattr(form, f"level_{level_id}_{name}", None)) is not None:
                    field.data = value

    def save() -> None:
        pool.update_settings(
            actor=current_user,
            mask_pool_contacts=bool(form.mask_pool_contacts.data),
            levels={
                e.id: {n: getattr(form, f"level_{e.id}_{n}").data for n in pool.LEVEL_NUMBERS}
                for e in levels
            },
            **{name: getattr(form, name).data for name in NUMBERS},
        )

    def saved(_result: Any) -> Any:
        flash(_("Pool rules saved."), "success")
        return htmx.redirect(url_for("settings.pool_rules"))

    return submit(
        form, save, success=saved, template="settings/pool.html", context={"levels": levels}
    )


@bp.app_template_global("pool_masked")
def pool_masked(customer: Any) -> bool:
    """For templates: whether the logged-in user sees ``customer``'s phones and emails masked
    (``pool.masked``); contact templates show ``number|mask_phone`` / ``email|mask_email``
    and the card offers "Reveal" while it is true."""
    return bool(current_user.is_authenticated and pool.masked(current_user, customer))


bp.add_app_template_filter(pool.mask_phone, "mask_phone")
bp.add_app_template_filter(pool.mask_email, "mask_email")


@bp.post("/customers/<int:customer_id>/reveal")
@login_required
def reveal(customer_id: int) -> Any:
    """Show a pool customer's masked phones and emails (audited); back to the card."""
    pool.reveal(actor=current_user, customer_id=customer_id)
    return htmx.redirect(url_for("customers.show", customer_id=customer_id))
