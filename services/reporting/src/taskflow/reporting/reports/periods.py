"""Time zones and day/week buckets: pure functions, so day boundaries are tested exactly.

A report day is a calendar day in the caller's IANA time zone. Its end is the next local
midnight, converted to UTC; on a DST change a day is 23 or 25 hours long, which is right:
that is the day the team lived through.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Interval = Literal["day", "week"]

#: The longest range a report computes in one answer (a bit over a year of days).
MAX_DAYS = 400
DEFAULT_DAYS = 30


class InvalidTimezone(ValueError):
    """The `tz` parameter is not a known IANA time zone."""


class InvalidRange(ValueError):
    """`from` is after `to`, or the range is longer than MAX_DAYS."""


def parse_tz(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name; refuses paths and unknown names."""
    if not name or name.startswith(("/", ".")) or ".." in name or len(name) > 64:
        raise InvalidTimezone(name)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise InvalidTimezone(name) from exc


def local_today(tz: ZoneInfo, now: datetime | None = None) -> date:
    """Today's date in `tz`."""
    return (now or datetime.now(UTC)).astimezone(tz).date()


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant at which `day` begins in `tz`."""
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def resolve_range(
    start: date | None, end: date | None, tz: ZoneInfo, *, now: datetime | None = None
) -> tuple[date, date]:
    """Fill in a missing end (today) and start (30 days before end) and check the range."""
    last = end or local_today(tz, now)
    first = start or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise InvalidRange("from is after to")
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidRange(f"the range is longer than {MAX_DAYS} days")
    return first, last


@dataclass(frozen=True, slots=True)
class Bucket:
    """One reporting period: its label (first local day) and its UTC bounds [start, end)."""

    label: date
    start: datetime
    end: datetime


def buckets(first: date, last: date, tz: ZoneInfo, interval: Interval = "day") -> list[Bucket]:
    """The day or ISO-week (Monday-first) buckets covering [first, last] in `tz`.

    Weekly buckets are whole weeks labelled by their Monday; the first and last may reach
    outside the requested range so that every bucket counts a full week.
    """
    out: list[Bucket] = []
    if interval == "day":
        day = first
        while day <= last:
            out.append(Bucket(day, local_midnight(day, tz), local_midnight(day + timedelta(1), tz)))
            day += timedelta(days=1)
        return out
    monday = first - timedelta(days=first.weekday())
    while monday <= last:
        nxt = monday + timedelta(days=7)
        out.append(Bucket(monday, local_midnight(monday, tz), local_midnight(nxt, tz)))
        monday = nxt
    return out
