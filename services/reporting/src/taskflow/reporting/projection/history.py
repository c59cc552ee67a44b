"""Pure derivation of history-dependent task figures from the versions seen so far.

Events can arrive late and in any order, so nothing that depends on history (when work
started, how often it was reopened, when it was last completed) is updated incrementally.
Every applied event records the task's state *at its version*; the figures are then
recomputed from the whole, version-ordered list. A late older event simply adds a row in
the middle and the next recomputation puts it in its place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

#: Status categories: a project names its statuses as it likes, every rule reads these.
CATEGORIES: tuple[str, ...] = ("backlog", "todo", "in_progress", "done", "cancelled")
OPEN_CATEGORIES: frozenset[str] = frozenset({"backlog", "todo", "in_progress"})
CLOSED_CATEGORIES: frozenset[str] = frozenset({"done", "cancelled"})
#: The statuses of the default workflow (always listed in `by_status`, zero or not).
STATUSES: tuple[str, ...] = ("todo", "in_progress", "blocked", "done", "cancelled")
PRIORITIES: tuple[str, ...] = ("none", "low", "medium", "high", "urgent")


@dataclass(frozen=True, slots=True)
class VersionPoint:
    """The status category of a task at one version, and when that version came to be."""

    version: int
    category: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Derived:
    """Figures that depend on the order of changes, not only on the latest state."""

    started_at: datetime | None
    completed_at: datetime | None
    times_reopened: int


def derive(points: Iterable[VersionPoint], *, reported_completed_at: datetime | None) -> Derived:
    """Compute started/completed/reopened from every known version of one task.

    - `started_at`: the time of the first version in the `in_progress` category.
    - `completed_at`: only when the latest category is `done`: the completion time the producer
      reported if it gave one, else the start of the final run of `done` versions.
    - `times_reopened`: how often a closed category (done, cancelled) was followed by an open
      one (backlog, todo, in_progress).
    """
    ordered = sorted(points, key=lambda p: p.version)
    started_at: datetime | None = None
    reopened = 0
    previous: str | None = None
    done_since: datetime | None = None
    for point in ordered:
        if point.category == "in_progress" and started_at is None:
            started_at = point.at
        if previous in CLOSED_CATEGORIES and point.category in OPEN_CATEGORIES:
            reopened += 1
        if point.category == "done":
            if previous != "done":
                done_since = point.at
        else:
            done_since = None
        previous = point.category
    completed_at: datetime | None = None
    if previous == "done":
        completed_at = reported_completed_at or done_since
    return Derived(started_at=started_at, completed_at=completed_at, times_reopened=reopened)
