"""Rules of tasks: create, change, trash and restore, lists and search.

Every write locks the task row first, checks the expected version, changes the state, and
writes the activity row and the outbox events in the same transaction (the request scope
commits once). Services never commit.

This module is the domain's one way in for routers and other domains; the work is split by job
into `creation`, `updates`, `cascades`, `lifecycle` and `queries`, over the shared `rules`.
"""

from taskflow.tasks.tasks.cascades import move_status, strip_reference
from taskflow.tasks.tasks.creation import create
from taskflow.tasks.tasks.lifecycle import delete, restore
from taskflow.tasks.tasks.queries import get, list_tasks, trash
from taskflow.tasks.tasks.rules import (
    NOT_NULL,
    TRACKED,
    adjust_counts,
    apply_status,
    counted,
    reminders_json,
    state_of,
    validate_refs,
)
from taskflow.tasks.tasks.schemas import to_read
from taskflow.tasks.tasks.updates import apply_changes, update

__all__ = [
    "NOT_NULL",
    "TRACKED",
    "adjust_counts",
    "apply_changes",
    "apply_status",
    "counted",
    "create",
    "delete",
    "get",
    "list_tasks",
    "move_status",
    "reminders_json",
    "restore",
    "state_of",
    "strip_reference",
    "to_read",
    "trash",
    "update",
    "validate_refs",
]
