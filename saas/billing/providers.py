"""Payment providers. The built-in one records the change and charges nothing."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from flask import current_app

from saas.tenancy.models import Plan, Tenant


@dataclass(frozen=True)
class Charge:
    """What a provider answers for a plan change."""

    reference: str


class BillingProvider(Protocol):
    name: str

    def change_plan(self, *, tenant: Tenant, plan: Plan, amount: Decimal) -> Charge:
        """Move ``tenant`` to ``plan``, charging ``amount`` now (negative: a credit); raise on
        refusal."""
        ...


class BuiltinProvider:
    """Records the change; no external service, no money moves."""

    name = "builtin"

    def change_plan(self, *, tenant: Tenant, plan: Plan, amount: Decimal) -> Charge:
        return Charge(reference=f"builtin-{secrets.token_hex(6)}")


def get_provider() -> BillingProvider:
    """The configured provider (``app.extensions['billing_provider']``), built-in by default."""
    return current_app.extensions.get("billing_provider") or BuiltinProvider()
