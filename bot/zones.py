"""IANA time zones as people type them: resolve, explain mistakes, suggest, autocomplete.

The one validator for every zone a person types: a server event's (``/event add``, ``/event edit``), a study
group's (``/studygroup-admin``, ``/setup``) and a member's own (``/settings``). Times are only right all year when the
zone follows daylight saving, so the bot stores IANA region names such as ``America/New_York``. People rarely
know those names; they type ``EST``, ``IST``, ``India``, ``UTC+5:30``, ``kolkata`` or ``Asia/Calcutta``. This module
turns unambiguous input into the canonical name (``kolkata`` -> ``Asia/Kolkata``, the old alias ``Asia/Calcutta``
-> ``Asia/Kolkata``) and answers everything else with a ``ZoneError`` whose message says what to type and whose
``suggestions`` the cog can offer.

Refused on purpose: abbreviations and fixed offsets (``EST``, ``CET``, ``Etc/GMT+5``, ``EST5EDT``). ``EST`` is a
real IANA name, but it is UTC-5 all year, so an event in New York typed with it would be posted an hour late all
summer, and a member who picked it would see every day boundary an hour off for eight months a year; ``IST`` means
India, Ireland or Israel. ``UTC`` stays allowed for those who really want it.

The catalogue (zone.tab, iso3166.tab and the alias links of the ``tzdata`` package) is read on first use, not
at import time.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.resources
import logging
import re
import zoneinfo
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.text import strip_invisible

log = logging.getLogger(__name__)

UTC_NAME = "UTC"
MAX_SUGGESTIONS = 5

# Shown first when a member opens the autocomplete without typing, and used to order suggestions: where the
# members of an IMG community mostly live, then the US zones of residency programmes.
POPULAR_ZONES: tuple[str, ...] = (
    "Asia/Kolkata",
    "Asia/Karachi",
    "Asia/Dhaka",
    "Africa/Lagos",
    "Africa/Cairo",
    "Asia/Manila",
    "Asia/Kathmandu",
    "Asia/Colombo",
    "Asia/Dubai",
    "Asia/Riyadh",
    "Africa/Nairobi",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Istanbul",
    "Asia/Tehran",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "America/Sao_Paulo",
    "America/Mexico_City",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
)

# Abbreviations people type, mapped to the zones they most likely mean (several meanings for the ambiguous
# ones).
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "IST": ("Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"),
    "PKT": ("Asia/Karachi",),
    "NPT": ("Asia/Kathmandu",),
    "BST": ("Europe/London", "Asia/Dhaka"),
    "GMT": ("Europe/London", "Africa/Accra", "UTC"),
    "WAT": ("Africa/Lagos",),
    "EAT": ("Africa/Nairobi",),
    "CAT": ("Africa/Harare",),
    "SAST": ("Africa/Johannesburg",),
    "EET": ("Africa/Cairo", "Europe/Athens"),
    "EEST": ("Europe/Athens", "Africa/Cairo"),
    "CET": ("Europe/Berlin", "Europe/Paris"),
    "CEST": ("Europe/Berlin", "Europe/Paris"),
    "WET": ("Europe/Lisbon",),
    "PHT": ("Asia/Manila",),
    "PST": ("America/Los_Angeles", "Asia/Manila"),
    "PDT": ("America/Los_Angeles",),
    "PT": ("America/Los_Angeles",),
    "MST": ("America/Denver", "America/Phoenix"),
    "MDT": ("America/Denver",),
    "MT": ("America/Denver",),
    "CST": ("America/Chicago", "Asia/Shanghai"),
    "CDT": ("America/Chicago",),
    "CT": ("America/Chicago",),
    "EST": ("America/New_York",),
    "EDT": ("America/New_York",),
    "ET": ("America/New_York",),
    "AST": ("Asia/Riyadh", "America/Halifax"),
    "GST": ("Asia/Dubai",),
    "IRST": ("Asia/Tehran",),
    "JST": ("Asia/Tokyo",),
    "KST": ("Asia/Seoul",),
    "SGT": ("Asia/Singapore",),
    "AEST": ("Australia/Sydney", "Australia/Brisbane"),
    "AEDT": ("Australia/Sydney",),
    "HST": ("Pacific/Honolulu",),
    "AKST": ("America/Anchorage",),
    "AKDT": ("America/Anchorage",),
    "HKT": ("Asia/Hong_Kong",),
    "ICT": ("Asia/Bangkok", "Asia/Ho_Chi_Minh"),
    "WIB": ("Asia/Jakarta",),
    "MYT": ("Asia/Kuala_Lumpur",),
    "AWST": ("Australia/Perth",),
    "ACST": ("Australia/Adelaide", "Australia/Darwin"),
    "NZST": ("Pacific/Auckland",),
    "NZDT": ("Pacific/Auckland",),
    "MSK": ("Europe/Moscow",),
    "TRT": ("Europe/Istanbul",),
    "AFT": ("Asia/Kabul",),
    "BRT": ("America/Sao_Paulo",),
    "ART": ("America/Argentina/Buenos_Aires",),
    "NST": ("America/St_Johns",),
    "ADT": ("America/Halifax",),
}
"""Abbreviations are refused (``resolve_zone``) with these as the suggestion: a small map of the common ones, enough
for the message to name the zone most people mean."""

_OFFSET = re.compile(r"^(?:utc|gmt)?\s*([+-])\s*(\d{1,2})(?:\s*[:.h]?\s*(\d{2}))?$", re.IGNORECASE)
_UTC_ALIASES = frozenset({"utc", "etc/utc", "uct", "etc/uct", "universal", "etc/universal", "zulu", "etc/zulu"})
_GENERIC_AREAS = frozenset(
    {
        "Africa",
        "America",
        "Antarctica",
        "Arctic",
        "Asia",
        "Atlantic",
        "Australia",
        "Europe",
        "Indian",
        "Pacific",
    }
)


class ZoneError(ValueError):
    """Input that is not a usable zone; ``str()`` is the message to show, ``suggestions`` zones to offer."""

    def __init__(self, message: str, suggestions: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.suggestions = suggestions


@dataclass(frozen=True)
class ZoneCatalog:
    canonical: tuple[str, ...]
    """Zones a member can pick: one per place in zone.tab, plus UTC."""
    by_lower: dict[str, str]
    """Every name ``zoneinfo`` knows, lower-cased, to its canonical name (aliases resolved through links)."""
    by_city: dict[str, tuple[str, ...]]
    """``new york`` -> ``America/New_York``: each canonical name's last part, lower-cased, spaces for _."""
    by_country: dict[str, tuple[str, ...]]
    """Country name or ISO code, lower-cased, to the canonical zones of that country."""


def _read_tzdata(name: str) -> str:
    try:
        return importlib.resources.files("tzdata.zoneinfo").joinpath(name).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        log.warning("tzdata file %s not found; zone suggestions will be less helpful", name)
        return ""


def _city(zone: str) -> str:
    return zone.rsplit("/", 1)[-1].replace("_", " ").lower()


@functools.cache
def catalog() -> ZoneCatalog:
    """The zone catalogue, read once from the tzdata package."""
    known = zoneinfo.available_timezones()
    links: dict[str, str] = {}
    for line in _read_tzdata("tzdata.zi").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "L":
            links[parts[2]] = parts[1]
    countries: dict[str, str] = {}
    for line in _read_tzdata("iso3166.tab").splitlines():
        if line and not line.startswith("#"):
            code, _, name = line.partition("\t")
            countries[code.strip()] = name.strip()
    zone_countries: dict[str, list[str]] = {}
    for line in _read_tzdata("zone.tab").splitlines():
        if line and not line.startswith("#"):
            fields = line.split("\t")
            if len(fields) >= 3 and fields[2] in known:
                zone_countries.setdefault(fields[2], []).append(fields[0])
    if not zone_countries:
        # Without zone.tab, fall back to every Area/Location name zoneinfo knows.
        zone_countries = {z: [] for z in known if z.split("/", 1)[0] in _GENERIC_AREAS and "/" in z}
    canonical = (*sorted(zone_countries), UTC_NAME)
    by_lower: dict[str, str] = {}
    for name in known:
        # A place zone.tab lists stays itself even when tzdata made it a link (Europe/Amsterdam -> Brussels):
        # the member picked their own city's name.
        by_lower[name.lower()] = name if name in zone_countries else links.get(name, name)
    by_city: dict[str, list[str]] = {}
    by_country: dict[str, list[str]] = {}
    for zone, codes in zone_countries.items():
        by_city.setdefault(_city(zone), []).append(zone)
        for code in codes:
            for key in (code.lower(), countries.get(code, "").lower()):
                if key:
                    by_country.setdefault(key, []).append(zone)
    return ZoneCatalog(
        canonical=canonical,
        by_lower=by_lower,
        by_city={k: tuple(v) for k, v in by_city.items()},
        by_country={k: tuple(sorted(v, key=_popularity)) for k, v in by_country.items()},
    )


def _popularity(zone: str) -> tuple[int, str]:
    try:
        return (POPULAR_ZONES.index(zone), zone)
    except ValueError:
        return (len(POPULAR_ZONES), zone)


def is_selectable(zone: str) -> bool:
    """True for the canonical place zones and UTC (what ``resolve_zone`` returns)."""
    return zone == UTC_NAME or zone in _selectable()


@functools.cache
def _selectable() -> frozenset[str]:
    return frozenset(catalog().canonical)


def _offset_minutes(text: str) -> int | None:
    match = _OFFSET.match(text.strip())
    if match is None:
        return None
    hours, minutes = int(match.group(2)), int(match.group(3) or 0)
    if hours > 14 or minutes >= 60:
        return None
    total = hours * 60 + minutes
    return -total if match.group(1) == "-" else total


def zones_at_offset(minutes: int, at: dt.datetime) -> tuple[str, ...]:
    """Canonical zones whose UTC offset at ``at`` is ``minutes``, popular ones first."""
    found = []
    for zone in catalog().canonical:
        offset = at.astimezone(zoneinfo.ZoneInfo(zone)).utcoffset()
        if offset is not None and offset == dt.timedelta(minutes=minutes):
            found.append(zone)
    return tuple(sorted(found, key=_popularity))


def _fuzzy(text: str, limit: int) -> tuple[str, ...]:
    """Near spellings of a city or a full name (``nwe york``); strict, so that unrelated places stay out."""
    zones = catalog().canonical
    wanted = text.lower().replace("_", " ")
    scored: dict[str, float] = {}
    for labels in ([_city(z) for z in zones], [z.lower().replace("_", " ") for z in zones]):
        for _, score, index in process.extract(wanted, labels, scorer=fuzz.ratio, limit=limit, score_cutoff=75):
            scored[zones[index]] = max(score, scored.get(zones[index], 0.0))
    return tuple(sorted(scored, key=lambda z: (-scored[z], _popularity(z))))


def suggest_zones(text: str, at: dt.datetime, limit: int = MAX_SUGGESTIONS) -> tuple[str, ...]:
    """Zones the member probably meant (abbreviation, country, offset at ``at``, or a near spelling)."""
    cleaned = " ".join(strip_invisible(text).split())
    if not cleaned:
        return POPULAR_ZONES[:limit]
    cat = catalog()
    found: list[str] = []
    found.extend(ABBREVIATIONS.get(cleaned.upper(), ()))
    found.extend(cat.by_country.get(cleaned.lower(), ()))
    offset = _offset_minutes(cleaned)
    if offset is not None:
        found.extend(zones_at_offset(offset, at))
    # tzdata made some abbreviations links (EST -> America/Panama): not what a person typing EST means.
    target = None if cleaned.upper() in ABBREVIATIONS else cat.by_lower.get(cleaned.lower().replace(" ", "_"))
    if target is not None and is_selectable(target):
        found.append(target)
    elif target is not None and target.lower() not in _UTC_ALIASES:
        # A fixed-offset zone (Etc/GMT+5, EST5EDT): the places at its offset now.
        fixed = at.astimezone(zoneinfo.ZoneInfo(target)).utcoffset()
        if fixed is not None:
            found.extend(zones_at_offset(int(fixed.total_seconds() // 60), at))
    found.extend(cat.by_city.get(cleaned.lower().replace("_", " ").rsplit("/", 1)[-1], ()))
    if not found:
        found.extend(_fuzzy(cleaned, limit))
    unique = list(dict.fromkeys(z for z in found if is_selectable(z)))
    return tuple(unique[:limit])


def _with_suggestions(message: str, suggestions: tuple[str, ...]) -> str:
    if not suggestions:
        return message + " Start typing your city, for example `Kolkata` or `New York`, and pick from the list."
    shown = ", ".join(f"`{s}`" for s in suggestions)
    return f"{message} Did you mean {shown}?"


def resolve_zone(text: str, at: dt.datetime) -> str:
    """The canonical IANA name for what the member typed, or ``ZoneError`` with a message and suggestions.

    ``at`` is the current time; it only matters for offsets (``UTC+5:30`` suggests the zones at that offset
    now).
    """
    cleaned = " ".join(strip_invisible(text).split())
    if not cleaned:
        raise ZoneError(
            "Tell me your time zone by city, for example `Asia/Kolkata` or `America/New_York`.",
            POPULAR_ZONES[:5],
        )
    cat = catalog()
    lowered = cleaned.lower()
    if lowered in _UTC_ALIASES:
        return UTC_NAME
    abbreviation = cleaned.upper() in ABBREVIATIONS
    # tzdata turned some abbreviations into links (EST -> America/Panama); the member meant their city, not
    # that.
    target = None if abbreviation else cat.by_lower.get(lowered.replace(" ", "_"))
    if target is not None and is_selectable(target):
        return target
    if target is not None and target.lower() in _UTC_ALIASES:
        return UTC_NAME
    cities = cat.by_city.get(lowered.replace("_", " "))
    if cities is not None and len(cities) == 1:
        return cities[0]
    suggestions = suggest_zones(cleaned, at)
    if abbreviation:
        raise ZoneError(
            _with_suggestions(
                f"`{cleaned}` is an abbreviation, ambiguous about daylight saving time (and sometimes about the "
                "place), so times could be an hour off for part of the year. Please pick a city's zone.",
                suggestions,
            ),
            suggestions,
        )
    if target is not None:
        raise ZoneError(
            _with_suggestions(
                f"`{cleaned}` is a fixed offset, which ignores daylight saving time, so times would be an hour off "
                "for part of the year. Please pick a city's zone.",
                suggestions,
            ),
            suggestions,
        )
    if _offset_minutes(cleaned) is not None:
        raise ZoneError(
            _with_suggestions(
                f"`{cleaned}` is an offset, and offsets change with daylight saving time. Please pick a city's zone.",
                suggestions,
            ),
            suggestions,
        )
    if lowered in cat.by_country:
        raise ZoneError(
            _with_suggestions(f"`{cleaned}` is a country; pick the zone of your city.", suggestions),
            suggestions,
        )
    raise ZoneError(_with_suggestions(f"I don't know the time zone `{cleaned[:60]}`.", suggestions), suggestions)


def zone_choices(typed: str, at: dt.datetime, limit: int = 25) -> tuple[str, ...]:
    """Autocomplete for a zone option: what the member is typing matched by name, city, country or offset."""
    cleaned = " ".join(strip_invisible(typed).split()).lower()
    if not cleaned:
        return POPULAR_ZONES[:limit]
    cat = catalog()
    key = cleaned.replace(" ", "_")
    starts = [z for z in cat.canonical if z.lower().startswith(key) or _city(z).startswith(cleaned)]
    contains = [z for z in cat.canonical if key in z.lower()]
    # Typing "ind" should offer India's zone as well as Indiana's and the Indian Ocean's.
    countries = sorted(
        {z for name, zones in cat.by_country.items() if len(name) > 2 and name.startswith(cleaned) for z in zones},
        key=_popularity,
    )
    found = sorted(starts, key=_popularity) + countries + sorted(contains, key=_popularity)
    if len(found) < limit:
        found.extend(suggest_zones(cleaned, at, limit))
    # Popular zones first; the rest keep their order (name matches, then countries, then substrings).
    ranked = sorted(dict.fromkeys(found), key=lambda z: _popularity(z)[0])
    return tuple(ranked[:limit])


def utc_offset_label(zone: str, at: dt.datetime) -> str:
    """``UTC+5:30`` for Asia/Kolkata: shown next to a zone so the member can check it is right."""
    offset = at.astimezone(zoneinfo.ZoneInfo(zone)).utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")
