"""History derivation on hand-built version lists, including shuffled ones."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from taskflow.reporting.projection.history import Derived, VersionPoint, derive

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def test_first_in_progress_is_the_start_and_last_done_run_the_completion() -> None:
    points = [
        VersionPoint(1, "todo", at(0)),
        VersionPoint(2, "in_progress", at(2)),
        VersionPoint(3, "in_progress", at(3)),
        VersionPoint(4, "in_progress", at(5)),
        VersionPoint(5, "done", at(8)),
    ]
    assert derive(points, reported_completed_at=None) == Derived(at(2), at(8), 0)


def test_reopened_twice_counts_two_and_completion_is_the_last_one() -> None:
    points = [
        VersionPoint(1, "todo", at(0)),
        VersionPoint(2, "done", at(1)),
        VersionPoint(3, "todo", at(2)),  # reopen 1
        VersionPoint(4, "cancelled", at(3)),
        VersionPoint(5, "in_progress", at(4)),  # reopen 2
        VersionPoint(6, "done", at(6)),
        VersionPoint(7, "done", at(7)),  # another change while done: still done since 6
    ]
    assert derive(points, reported_completed_at=None) == Derived(at(4), at(6), 2)


def test_open_task_has_no_completion_and_reported_time_wins_when_done() -> None:
    open_points = [
        VersionPoint(1, "todo", at(0)),
        VersionPoint(2, "done", at(1)),
        VersionPoint(3, "in_progress", at(2)),
    ]
    assert derive(open_points, reported_completed_at=at(1)).completed_at is None
    done = [VersionPoint(1, "in_progress", at(0)), VersionPoint(2, "done", at(3))]
    assert derive(done, reported_completed_at=at(2.5)).completed_at == at(2.5)


def test_order_of_arrival_does_not_matter() -> None:
    points = [
        VersionPoint(v, s, at(v))
        for v, s in enumerate(
            ["todo", "in_progress", "done", "todo", "in_progress", "done", "in_progress"], start=1
        )
    ]
    expected = derive(points, reported_completed_at=None)
    assert expected == Derived(at(2), None, 2)  # done->todo, done->blocked
    rng = random.Random(7)
    for _ in range(20):
        shuffled = points[:]
        rng.shuffle(shuffled)
        assert derive(shuffled, reported_completed_at=None) == expected


def test_a_missing_middle_version_arriving_late_changes_the_figures() -> None:
    """Without v2 the task looks never started; once v2 arrives the start is v2's time."""
    early = [VersionPoint(1, "todo", at(0)), VersionPoint(3, "done", at(4))]
    assert derive(early, reported_completed_at=None).started_at is None
    late = [*early, VersionPoint(2, "in_progress", at(1))]
    assert derive(late, reported_completed_at=None) == Derived(at(1), at(4), 0)
