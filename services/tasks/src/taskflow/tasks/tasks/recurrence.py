"""Recurring tasks: RRULE validation and the next occurrence, in the owner's timezone.

Dates are computed on *wall-clock* time in the owner's IANA timezone and only then turned
into UTC, so "every Tuesday at 09:00 Berlin" stays at 09:00 across a DST change (its UTC hour
moves). Rules that fire more often than hourly are refused: a task list is not a cron.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrule, rrulestr

MIN_GAP = timedelta(hours=1)
_SAMPLE = 60
_FORBIDDEN = re.compile(r"(^|;)\s*(DTSTART|RDATE|EXDATE|EXRULE)\b", re.IGNORECASE)
#: A fixed, DST-free reference point for validating how often a rule fires.
_REFERENCE = datetime(2026, 1, 5, 0, 0)  # a Monday


class RecurrenceError(ValueError):
    """The RRULE is not valid or fires too often; the message says why."""


def _strip(rule: str) -> str:
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    return text


def parse_rule(rule: str, dtstart: datetime) -> rrule:
    """The dateutil rule for `rule` anchored at naive wall-clock `dtstart`."""
    text = _strip(rule)
    if not text or "\n" in text or _FORBIDDEN.search(text):
        raise RecurrenceError("give one RRULE value (no DTSTART, RDATE or EXDATE)")
    try:
        parsed = rrulestr("RRULE:" + text, dtstart=dtstart)
    except (ValueError, TypeError) as exc:
        raise RecurrenceError(f"invalid RRULE: {exc}") from None
    if not isinstance(parsed, rrule):
        raise RecurrenceError("give one RRULE value")
    return parsed


def validate_rule(rule: str) -> str:
    """The normalised rule text; raises RecurrenceError when invalid or more than hourly."""
    text = _strip(rule).upper()
    parsed = parse_rule(text, _REFERENCE)
    previous: datetime | None = None
    for count, when in enumerate(parsed):
        if previous is not None and when - previous < MIN_GAP:
            raise RecurrenceError("the rule fires more often than once an hour")
        previous = when
        if count >= _SAMPLE:
            break
    if previous is None:
        raise RecurrenceError("the rule never fires")
    return text


def zone(name: str | None) -> ZoneInfo:
    """The timezone by IANA name; UTC when unknown."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _local_naive(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.astimezone(tz).replace(tzinfo=None)


def _to_utc(wall: datetime, tz: ZoneInfo) -> datetime:
    # fold=0: an ambiguous wall time (autumn) takes its first instance; a non-existent one
    # (spring gap) is normalised forward by the round trip through UTC.
    return wall.replace(tzinfo=tz).astimezone(UTC)


def next_fixed(rule: str, current_due: datetime, tz_name: str | None) -> datetime | None:
    """Fixed schedule: the first occurrence after the current one's due time."""
    tz = zone(tz_name)
    local = _local_naive(current_due, tz)
    nxt = parse_rule(rule, local).after(local, inc=False)
    return None if nxt is None else _to_utc(nxt, tz)


def next_after_completion(
    rule: str, completed_at: datetime, anchor_due: datetime | None, tz_name: str | None
) -> datetime | None:
    """After completion: the first occurrence after the completion moment and the due date.

    The rule is anchored on the completion day at the wall-clock time of the previous due
    time (so a 09:00 task stays a 09:00 task), which makes intervals count from completion
    ("3 days after I finished it"). An occurrence finished early must not be followed by
    one due on its own (local) due date: that would hand the user the same day's work twice.
    """
    tz = zone(tz_name)
    done_local = _local_naive(completed_at, tz)
    clock = _local_naive(anchor_due, tz).time() if anchor_due else done_local.time()
    start = datetime.combine(done_local.date(), clock)
    parsed = parse_rule(rule, start)
    threshold = start
    if anchor_due is not None:
        threshold = max(threshold, datetime.combine(_local_naive(anchor_due, tz).date(), time.max))
    nxt = parsed.after(threshold, inc=False)
    return None if nxt is None else _to_utc(nxt, tz)
