"""The Pool rules form (Settings → Pool rules)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField
from wtforms.validators import NumberRange, Optional

from saas.customers.pool import MAX_DAYS, NUMBERS


def _days(label: object, name: str) -> IntegerField:
    low, high = NUMBERS[name]
    return IntegerField(label, validators=[Optional(), NumberRange(low, high)])


def with_levels(levels: list) -> type[FlaskForm]:
    """The form with two fields per level (``level_<id>_followup_days``, ``…_unwon_days``)."""
    attrs = {}
    for level in levels:
        for name, label in (
            ("followup_days", _l("Days without follow-up")),
            ("unwon_days", _l("Days after a claim unless won")),
        ):
            attrs[f"level_{level.id}_{name}"] = IntegerField(
                label, validators=[Optional(), NumberRange(0, MAX_DAYS)]
            )
    return type("PoolRulesLevelsForm", (PoolRulesForm,), attrs)


class PoolRulesForm(FlaskForm):
    followup_days = _days(_l("Return after this many days without follow-up"), "followup_days")
    unwon_days = _days(_l("Return this many days after a claim unless won"), "unwon_days")
    warn_days = _days(_l("Warn the owner this many days before"), "warn_days")
    max_owned = _days(_l("Customers one user may own"), "max_owned")
    max_locked = _days(_l("Customers one user may lock"), "max_locked")
    max_claims_per_day = _days(_l("Claims per user per day"), "max_claims_per_day")
    cooldown_days = _days(
        _l("Days before a previous owner may claim a customer again"), "cooldown_days"
    )
    mask_pool_contacts = BooleanField(
        _l("Mask the phones and emails of pool customers until revealed")
    )
