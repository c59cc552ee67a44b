"""Changing a task's fields (PATCH, bulk, moves): validation, activity, events and what a
closing status frees.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.clock import utcnow as now
from taskflow.common.concurrency import check_version
from taskflow.common.errors import Unprocessable
from taskflow.tasks import domain_events as ev
from taskflow.tasks.activity import service as activity
from taskflow.tasks.dependencies import service as dependencies
from taskflow.tasks.mentions import newly_mentioned
from taskflow.tasks.projects.auth import ProjectAccess
from taskflow.tasks.tasks import repository as repo
from taskflow.tasks.tasks.models import PRIORITIES, Task
from taskflow.tasks.tasks.rules import (
    NOT_NULL,
    _closes,
    _dedupe,
    _err,
    _locked,
    adjust_counts,
    apply_status,
    counted,
    reminders_json,
    state_of,
    validate_refs,
)
from taskflow.tasks.tasks.schemas import TaskRead, TaskUpdate, to_read
from taskflow.tasks.workflows import service as workflows
from taskflow.tasks.workflows.models import ProjectStatus


async def apply_changes(
    db: AsyncSession,
    access: ProjectAccess,
    task: Task,
    fields: dict[str, Any],
    *,
    override_wip: bool = False,
) -> TaskRead:
    """Apply validated field values to a locked task, with activity and events."""
    for name in NOT_NULL:
        if name in fields and fields[name] is None:
            raise Unprocessable(
                f"{name} cannot be null.", errors=[_err(name, "may not be null", "null")]
            )
    new_status: ProjectStatus | None = None
    if "status" in fields or "status_id" in fields:
        new_status = await workflows.resolve(
            db,
            task.project_id,
            status_id=fields.pop("status_id", None),
            name=fields.pop("status", None),
        )
        if new_status.id == task.status_id:
            new_status = None
        else:
            await workflows.check_wip(
                db, access, new_status, task_id=task.id, override=override_wip
            )
    for name in ("label_ids", "assignee_ids", "watcher_ids"):
        if name in fields:
            fields[name] = _dedupe(fields[name])
    start = fields.get("start_at", task.start_at)
    due = fields.get("due_at", task.due_at)
    if start is not None and due is not None and due < start:
        raise Unprocessable(
            "due_at must not be before start_at.",
            errors=[_err("due_at", "due_at is before start_at", "date_order")],
        )
    await validate_refs(
        db,
        task.project_id,
        {
            k: v
            for k, v in fields.items()
            if k in ("label_ids", "assignee_ids", "watcher_ids", "milestone_id", "parent_id")
        },
        task_id=task.id,
    )
    before = state_of(task)
    before_count = counted(task.status_category, False)
    closing = new_status is not None and _closes(task.status_category, new_status.category)
    if new_status is not None:
        if new_status.category == "done" and task.status_category != "done":
            await dependencies.check_completion(db, task)
        apply_status(task, new_status)
    for name, value in fields.items():
        if name == "priority":
            task.priority = PRIORITIES.index(value)
        elif name == "reminders":
            task.reminders = reminders_json(value)
        elif name == "recurrence":
            task.recurrence = (
                value if value is None or isinstance(value, dict) else value.model_dump()
            )
            if value is not None and task.series_id is None:
                task.series_id, task.occurrence_index = task.id, 0
        else:
            setattr(task, name, value)
    changed = activity.diff(before, state_of(task))
    key = await repo.project_key(db, task.project_id)
    if not changed:
        return to_read(task, key, blocked=await dependencies.is_blocked(db, task.id))
    task.version += 1
    task.updated_at = now()
    await adjust_counts(db, task.project_id, before_count, counted(task.status_category, False))
    activity.record(
        db,
        project_id=task.project_id,
        task_id=task.id,
        actor_id=access.user_id,
        action="task.updated",
        changes=changed,
    )
    mentioned = (
        await newly_mentioned(
            db, task.project_id, before["description"], task.description, access.user_id
        )
        if "description" in changed
        else []
    )
    for event in ev.task_change_events(task, key, changed, before, mentioned):
        await ev.emit(db, event, access.user_id)
    if closing:
        await dependencies.after_close(db, access.user_id, task)
    return to_read(task, key, blocked=await dependencies.is_blocked(db, task.id))


async def update(
    db: AsyncSession,
    access: ProjectAccess,
    task_id: uuid.UUID,
    changes: TaskUpdate,
    expected: int | None,
    *,
    override_wip: bool = False,
) -> TaskRead:
    """Change some fields of a task; 412 when `expected` is not the current version."""
    access.require_writable()
    task = await _locked(db, task_id)
    check_version(task, expected)
    return await apply_changes(
        db, access, task, changes.model_dump(exclude_unset=True), override_wip=override_wip
    )
