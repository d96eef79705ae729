"""Form helpers shared by every feature."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wtforms.fields.choices import SelectChoice


def options(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """``(value, label)`` pairs as WTForms select choices."""
    return [SelectChoice(str(value), str(label)) for value, label in pairs]


def zone_choices(locale: str) -> dict[str, list[SelectChoice]]:
    """Canonical time zones grouped by region (``<optgroup>``), named in ``locale``."""
    from saas.locales import timezone_groups

    return {region: options(zones) for region, zones in timezone_groups(locale)}
