"""Wall-clock times in a named zone: reading what an instructor typed, and showing times with their zone."""
from __future__ import annotations

import calendar
from datetime import datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

LOCAL_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")
FIRST_YEAR, LAST_YEAR = 2000, 2100


class TimeProblem(ValueError):
    """A date, time or zone that cannot be used; the message says why, in one sentence."""


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    """Every IANA zone name this machine knows, sorted (UTC first)."""
    names = sorted(n for n in available_timezones() if "/" in n and not n.startswith(("Etc/", "SystemV/", "posix/", "right/")))
    return ("UTC", *names)


def zone(name: str) -> ZoneInfo:
    """The zone with this IANA name, or a TimeProblem."""
    if not name or name not in zone_names():
        raise TimeProblem(f"{name[:64]!r} is not a time zone name this server knows; pick one such as Europe/Lisbon or America/Chicago.")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TimeProblem(f"{name[:64]!r} is not a time zone name this server knows.") from None


def parse_local(text: str, zone_name: str) -> datetime:
    """A wall-clock date and time typed in `zone_name`, as an aware UTC datetime."""
    raw = (text or "").strip()
    if not raw:
        raise TimeProblem("Enter a date and a time.")
    for fmt in LOCAL_FORMATS:
        try:
            naive = datetime.strptime(raw, fmt)
            break
        except ValueError:
            continue
    else:
        raise TimeProblem(f"{raw[:30]!r} is not a date and time; use the form 2026-09-01 09:00.")
    if not FIRST_YEAR <= naive.year <= LAST_YEAR:
        raise TimeProblem(f"Choose a year between {FIRST_YEAR} and {LAST_YEAR}.")
    return local_to_utc(naive, zone_name)


def local_to_utc(naive: datetime, zone_name: str) -> datetime:
    """A naive wall-clock time in a zone, to UTC; a time skipped by a clock change is refused."""
    tz = zone(zone_name)
    aware = naive.replace(tzinfo=tz)
    as_utc = aware.astimezone(timezone.utc)
    if as_utc.astimezone(tz).replace(tzinfo=None) != naive:
        raise TimeProblem(f"{naive:%H:%M} on {_day(naive)} does not exist in {zone_name} (the clocks move forward "
                          "then); choose another time.")
    return as_utc


def add_months(naive: datetime, months: int) -> datetime:
    """The same wall-clock time `months` later; the 31st becomes the last day of a shorter month."""
    index = naive.month - 1 + months
    year, month = naive.year + index // 12, index % 12 + 1
    return naive.replace(year=year, month=month, day=min(naive.day, calendar.monthrange(year, month)[1]))


def to_local(moment: datetime, zone_name: str) -> datetime:
    """An aware datetime in the named zone."""
    return moment.astimezone(zone(zone_name))


def input_value(moment: datetime | None, zone_name: str) -> str:
    """The value a datetime-local field shows for a moment (wall time in the zone)."""
    return "" if moment is None else to_local(moment, zone_name).strftime("%Y-%m-%dT%H:%M")


def _day(moment: datetime) -> str:
    return f"{moment:%A} {moment.day} {moment:%B %Y}"


def _offset(moment: datetime) -> str:
    offset = moment.utcoffset()
    assert offset is not None
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def describe(moment: datetime, zone_name: str) -> str:
    """A time people cannot misread: 'Monday 2 February 2026, 09:00 (Europe/Lisbon, UTC+00:00)'."""
    local = to_local(moment, zone_name)
    return f"{_day(local)}, {local:%H:%M} ({zone_name}, {_offset(local)})"
