"""Day and week buckets in two time zones, and tz/range validation."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from taskflow.reporting.reports.periods import (
    MAX_DAYS,
    InvalidRange,
    InvalidTimezone,
    buckets,
    parse_tz,
    resolve_range,
)

BERLIN = parse_tz("Europe/Berlin")
NEW_YORK = parse_tz("America/New_York")


def test_day_bounds_in_berlin_and_new_york() -> None:
    [b] = buckets(date(2026, 11, 24), date(2026, 11, 24), BERLIN)
    assert (b.start, b.end) == (
        datetime(2026, 11, 23, 23, 0, tzinfo=UTC),
        datetime(2026, 11, 24, 23, 0, tzinfo=UTC),
    )
    [b] = buckets(date(2026, 11, 24), date(2026, 11, 24), NEW_YORK)
    assert (b.start, b.end) == (
        datetime(2026, 11, 24, 5, 0, tzinfo=UTC),
        datetime(2026, 11, 25, 5, 0, tzinfo=UTC),
    )


def test_an_instant_at_2330_utc_is_on_different_local_days() -> None:
    instant = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)
    days = buckets(date(2026, 11, 23), date(2026, 11, 26), BERLIN)
    assert [b.label for b in days if b.start <= instant < b.end] == [date(2026, 11, 25)]
    days = buckets(date(2026, 11, 23), date(2026, 11, 26), NEW_YORK)
    assert [b.label for b in days if b.start <= instant < b.end] == [date(2026, 11, 24)]


def test_dst_day_is_23_hours_long() -> None:
    [b] = buckets(date(2026, 3, 29), date(2026, 3, 29), BERLIN)
    assert (b.end - b.start).total_seconds() == 23 * 3600


def test_weeks_are_monday_first_and_cover_the_range() -> None:
    weeks = buckets(date(2026, 11, 4), date(2026, 11, 17), NEW_YORK, "week")
    assert [w.label for w in weeks] == [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16)]
    assert all((w.end - w.start).days == 7 for w in weeks)


@pytest.mark.parametrize(
    "name", ["Mars/Olympus", "", "../../etc/passwd", "/etc/localtime", "x" * 100]
)
def test_unknown_time_zone_is_refused(name: str) -> None:
    with pytest.raises(InvalidTimezone):
        parse_tz(name)


def test_range_defaults_and_limits() -> None:
    now = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)
    assert resolve_range(None, None, BERLIN, now=now) == (date(2026, 10, 27), date(2026, 11, 25))
    assert resolve_range(None, None, NEW_YORK, now=now) == (date(2026, 10, 26), date(2026, 11, 24))
    with pytest.raises(InvalidRange):
        resolve_range(date(2026, 11, 2), date(2026, 11, 1), BERLIN)
    with pytest.raises(InvalidRange):
        resolve_range(date(2025, 1, 1), date(2025, 1, 1).replace(year=2026, month=3), BERLIN)
    assert MAX_DAYS >= 366
