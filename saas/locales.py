"""Locale data for choices: current currencies and canonical time zones, from Babel's CLDR.

Nothing here is a hand-made list: the currencies are those some territory uses as tender today
(so no ADP, AFA, ATS), the zones are the IANA zones CLDR knows that are not aliases (so no
Africa/Asmera, US/Eastern or Etc/GMT+5), grouped by region, named in the reader's language.
"""

from __future__ import annotations

import zoneinfo
from datetime import date
from functools import cache

from babel import Locale
from babel.core import get_global
from babel.numbers import get_currency_name, get_territory_currencies
from flask_babel import lazy_gettext as _l

#: Time-zone regions (the first part of an IANA id), in the order they are listed.
REGIONS = {
    "Europe": _l("Europe"),
    "America": _l("Americas"),
    "Asia": _l("Asia"),
    "Africa": _l("Africa"),
    "Australia": _l("Australia"),
    "Pacific": _l("Pacific"),
    "Atlantic": _l("Atlantic"),
    "Indian": _l("Indian Ocean"),
    "Antarctica": _l("Antarctica"),
    "Arctic": _l("Arctic"),
}


@cache
def current_currencies() -> frozenset[str]:
    """ISO 4217 codes some territory uses as legal tender today."""
    today = date.today()
    territories = get_global("territory_currencies")
    return frozenset(
        code
        for territory in territories
        for code in get_territory_currencies(territory, start_date=today, end_date=today)
    )


@cache
def canonical_timezones() -> frozenset[str]:
    """IANA zones CLDR maps to a territory and does not list as an alias, plus UTC."""
    aliases = get_global("zone_aliases")
    territories = get_global("zone_territories")
    return frozenset(
        z
        for z in zoneinfo.available_timezones()
        if z not in aliases and z in territories and z.split("/")[0] in REGIONS
    ) | {"UTC"}


@cache
def currency_choices(locale: str) -> list[tuple[str, str]]:
    """(code, "Name (CODE)") for the current currencies, sorted by name in ``locale``."""
    pairs = [
        (code, f"{get_currency_name(code, locale=locale)} ({code})")
        for code in current_currencies()
    ]
    return sorted(pairs, key=lambda p: p[1].casefold())


@cache
def _old_names() -> dict[str, list[str]]:
    """Canonical zone → its aliases (CLDR keeps some city names under the old id: Europe/Kiev)."""
    out: dict[str, list[str]] = {}
    for alias, zone in get_global("zone_aliases").items():
        out.setdefault(zone, []).append(alias)
    return out


def _city(zone: str, loc: Locale) -> str:
    for name in (zone, *_old_names().get(zone, ())):
        if city := loc.time_zones.get(name, {}).get("city"):
            return city
    return zone.rsplit("/", 1)[-1].replace("_", " ")


@cache
def _timezone_groups(locale: str) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    loc = Locale.parse(locale)
    territories = get_global("zone_territories")
    groups: dict[str, list[tuple[str, str]]] = {region: [] for region in REGIONS}
    for zone in canonical_timezones() - {"UTC"}:
        country = loc.territories.get(territories.get(zone, ""), "")
        city = _city(zone, loc)
        label = f"{city} ({country})" if country and country != city else city
        groups[zone.split("/")[0]].append((zone, label))
    return tuple(
        (region, tuple(sorted(zones, key=lambda z: z[1].casefold())))
        for region, zones in groups.items()
        if zones
    )


def timezone_groups(locale: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """[(region name, [(zone id, "City (Country)"), …]), …] in ``locale``; UTC comes first."""
    return [("UTC", [("UTC", "UTC")])] + [
        (str(REGIONS[region]), list(zones)) for region, zones in _timezone_groups(locale)
    ]


@cache
def zones_of(country: str) -> frozenset[str]:
    """The canonical zones of ``country`` (ISO 3166 alpha-2)."""
    territories = get_global("zone_territories")
    return frozenset(z for z in canonical_timezones() if territories.get(z) == country)


def guess_company_defaults(timezone: str | None) -> dict[str, str]:
    """Time zone, currency and country guessed from the browser's zone (signup)."""
    if not timezone or timezone not in canonical_timezones():
        aliases = get_global("zone_aliases")
        timezone = aliases.get(timezone or "", "UTC")
        if timezone not in canonical_timezones():
            return {}
    out = {"timezone": timezone}
    territory = get_global("zone_territories").get(timezone)
    if territory and len(territory) == 2 and territory.isalpha():
        out["country"] = territory
        today = date.today()
        tender = get_territory_currencies(territory, start_date=today, end_date=today)
        if tender:
            out["currency"] = tender[0]
    return out
