"""Form helpers shared by every feature."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wtforms.fields.choices import SelectChoice


def options(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """``(value, label)`` pairs as WTForms select choices."""
    return [SelectChoice(str(value), str(label)) for value, label in pairs]


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
