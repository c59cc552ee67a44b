"""A task's way to the trash and back: delete (restorable until purged) and restore."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.clock import utcnow as now
from taskflow.common.concurrency import check_version
from taskflow.tasks import domain_events as ev
from taskflow.tasks.activity import service as activity
from taskflow.tasks.projects.auth import ProjectAccess
from taskflow.tasks.tasks import repository as repo
from taskflow.tasks.tasks.rules import _locked, adjust_counts, counted
from taskflow.tasks.tasks.schemas import TaskRead, to_read


async def delete(
    db: AsyncSession, access: ProjectAccess, task_id: uuid.UUID, expected: int | None
) -> TaskRead:
    """Move a task to the trash (restorable until purged)."""
    access.require_writable()
    task = await _locked(db, task_id)
    check_version(task, expected)
    await adjust_counts(db, task.project_id, counted(task.status_category, False), (0, 0))
    task.deleted_at = now()
    task.updated_at = task.deleted_at
    task.version += 1
    key = await repo.project_key(db, task.project_id)
    activity.record(
        db,
        project_id=task.project_id,
        task_id=task.id,
        actor_id=access.user_id,
        action="task.deleted",
        changes={"deleted_at": {"before": None, "after": task.deleted_at.isoformat()}},
    )
    await ev.emit(db, ev.task_deleted(task, key), access.user_id)
    return to_read(task, key)


async def restore(
    db: AsyncSession, access: ProjectAccess, task_id: uuid.UUID, expected: int | None = None
) -> TaskRead:
    """Bring a task back from the trash."""
    access.require_writable()
    task = await _locked(db, task_id, deleted=True)
    check_version(task, expected)
    before = task.deleted_at
    task.deleted_at = None
    task.updated_at = now()
    task.version += 1
    await adjust_counts(db, task.project_id, (0, 0), counted(task.status_category, False))
    key = await repo.project_key(db, task.project_id)
    activity.record(
        db,
        project_id=task.project_id,
        task_id=task.id,
        actor_id=access.user_id,
        action="task.restored",
        changes={"deleted_at": {"before": before.isoformat() if before else None, "after": None}},
    )
    await ev.emit(db, ev.task_restored(task, key), access.user_id)
    return to_read(task, key)
