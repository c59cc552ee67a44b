"""Which reminder rows a task snapshot wants: pure, so it is tested without a database."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Wanted:
    """One row the reminders table should hold for an open task."""

    user_id: uuid.UUID
    kind: str
    fire_at: datetime


def wanted(
    *,
    open_: bool,
    due_at: datetime | None,
    reminders: Iterable[datetime],
    assignees: Iterable[uuid.UUID],
) -> set[Wanted]:
    """Reminders for every assignee at each reminder time, and an overdue notice at the due time.

    A done or deleted task wants nothing, so its unfired rows are removed.
    """
    if not open_:
        return set()
    users = set(assignees)
    out = {Wanted(u, "reminder", at) for u in users for at in reminders}
    if due_at is not None:
        out |= {Wanted(u, "overdue", due_at) for u in users}
    return out
