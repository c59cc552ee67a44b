"""What every task write shares: the tracked state, the progress counters, the reference
checks, the row lock and entering a status.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.clock import utcnow as now
from taskflow.common.errors import Unprocessable
from taskflow.tasks.labels import repository as labels_repo
from taskflow.tasks.milestones import repository as milestones_repo
from taskflow.tasks.projects import repository as projects_repo
from taskflow.tasks.projects.auth import not_found
from taskflow.tasks.tasks import repository as repo
from taskflow.tasks.tasks.models import PRIORITIES, Task
from taskflow.tasks.workflows.models import ProjectStatus

#: Fields whose before/after go into activity and `task.updated`.
TRACKED = (
    "title", "description", "status", "status_id", "status_category", "priority", "label_ids",
    "assignee_ids", "watcher_ids",
    "due_at", "start_at", "reminders", "recurrence", "progress", "estimate_minutes",
    "parent_id", "milestone_id", "position", "completed_at",
)  # fmt: skip


NOT_NULL = ("title", "description", "status", "status_id", "priority", "label_ids", "assignee_ids",
            "watcher_ids", "reminders", "progress", "position")  # fmt: skip


def state_of(task: Task) -> dict[str, Any]:
    """The tracked fields of a task, for diffs."""
    out = {f: getattr(task, f) for f in TRACKED}
    out["priority"] = PRIORITIES[task.priority]
    out["label_ids"] = list(task.label_ids or [])
    out["assignee_ids"] = list(task.assignee_ids or [])
    out["watcher_ids"] = list(task.watcher_ids or [])
    return out


def counted(category: str, deleted: bool) -> tuple[int, int]:
    """What a task adds to its project's (total, done) progress counters (by status category)."""
    if deleted or category == "cancelled":
        return 0, 0
    return 1, 1 if category == "done" else 0


async def adjust_counts(
    db: AsyncSession, project_id: uuid.UUID, before: tuple[int, int], after: tuple[int, int]
) -> None:
    await projects_repo.adjust_counts(db, project_id, after[0] - before[0], after[1] - before[1])


def _err(field: str, msg: str, kind: str) -> dict[str, Any]:
    return {"loc": ["body", field], "msg": msg, "type": kind}


async def validate_refs(
    db: AsyncSession,
    project_id: uuid.UUID,
    values: dict[str, Any],
    *,
    task_id: uuid.UUID | None = None,
) -> None:
    """422 naming each field whose ids do not fit the project (labels, members, parent...)."""
    errors: list[dict[str, Any]] = []
    labels = values.get("label_ids")
    if labels:
        known = await labels_repo.labels_in_project(db, project_id, labels)
        if unknown := [str(x) for x in labels if x not in known]:
            errors.append(
                _err("label_ids", f"unknown labels: {', '.join(unknown)}", "unknown_label")
            )
    for field in ("assignee_ids", "watcher_ids"):
        ids = values.get(field)
        if ids:
            members = await projects_repo.member_ids(db, project_id, list(set(ids)))
            if strangers := [str(x) for x in ids if x not in members]:
                errors.append(
                    _err(
                        field, f"not members of the project: {', '.join(strangers)}", "not_a_member"
                    )
                )
    milestone = values.get("milestone_id")
    if milestone is not None and not await milestones_repo.milestone_in_project(
        db, project_id, milestone
    ):
        errors.append(
            _err("milestone_id", "no such milestone in this project", "unknown_milestone")
        )
    parent = values.get("parent_id")
    if parent is not None:
        if not await repo.parent_in_project(db, project_id, parent):
            errors.append(
                _err(
                    "parent_id", "the parent must be a live task of the same project", "bad_parent"
                )
            )
        elif task_id is not None and task_id in await repo.ancestor_ids(db, parent):
            errors.append(_err("parent_id", "this parent would make a cycle", "parent_cycle"))
    if errors:
        raise Unprocessable("Some fields do not fit this project.", errors=errors)


def reminders_json(reminders: list[Any]) -> list[dict[str, Any]]:
    """Reminders as stored: `{"before_minutes": n}` or `{"at": "<UTC ISO 8601>"}`."""
    out: list[dict[str, Any]] = []
    for r in reminders:
        item = r.model_dump(exclude_none=True) if hasattr(r, "model_dump") else dict(r)
        at = item.get("at")
        if isinstance(at, str):
            at = datetime.fromisoformat(at)
        if isinstance(at, datetime):
            out.append({"at": at.astimezone(UTC).isoformat()})
        elif item.get("before_minutes") is not None:
            out.append({"before_minutes": int(item["before_minutes"])})
    return out


def _dedupe(ids: list[uuid.UUID]) -> list[uuid.UUID]:
    return list(dict.fromkeys(ids))


async def _locked(db: AsyncSession, task_id: uuid.UUID, *, deleted: bool | None = False) -> Task:
    task = await repo.get_for_update(db, task_id, deleted=deleted)
    if task is None:
        raise not_found("task")
    return task


def apply_status(task: Task, status: ProjectStatus, ts: datetime | None = None) -> None:
    """Put a task in a status; entering the `done` category completes it, leaving reopens."""
    if status.id == task.status_id:
        return
    if status.category == "done" and task.status_category != "done":
        task.completed_at = ts or now()
    elif status.category != "done":
        task.completed_at = None
    task.status_id, task.status, task.status_category = status.id, status.name, status.category


def _closes(before: str, after: str) -> bool:
    """An open category to a closed one: the tasks this one blocks may be free now."""
    return before not in repo.CLOSED and after in repo.CLOSED
