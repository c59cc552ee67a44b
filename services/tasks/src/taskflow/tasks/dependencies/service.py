"""Rules of dependencies: who may link what, no cycles, completion guarded by open blockers,
and the `task.unblocked` notice when a task's last open blocker closes.

A link belongs to the blocked task: writing it needs the member role there, and only sight
(viewer) of the blocker, which may be in another project. Every change of the graph holds one
advisory lock (see repository), so concurrent links cannot close a cycle unseen.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.errors import NotFound, Unprocessable
from taskflow.events.contracts.tasks import (
    TaskDependencyAdded,
    TaskDependencyRemoved,
    TaskRef,
    TaskUnblocked,
)
from taskflow.tasks import domain_events as ev
from taskflow.tasks.activity import service as activity
from taskflow.tasks.dependencies import repository as repo
from taskflow.tasks.dependencies.errors import DependencyCycle, DuplicateDependency, OpenBlockers
from taskflow.tasks.dependencies.models import Dependency
from taskflow.tasks.dependencies.schemas import DependenciesRead, LinkedTask
from taskflow.tasks.projects.auth import ProjectAccess, not_found
from taskflow.tasks.projects.models import Project
from taskflow.tasks.tasks import repository as tasks_repo
from taskflow.tasks.tasks.auth import task_access
from taskflow.tasks.tasks.models import Task


def _ref(task: Task, key: str) -> TaskRef:
    return TaskRef(
        task_id=task.id,
        project_id=task.project_id,
        key=f"{key}-{task.number}",
        title=task.title,
        status=task.status,
        status_category=task.status_category,
    )


async def _blocker(db: AsyncSession, access: ProjectAccess, blocker_id: uuid.UUID) -> Task:
    """The blocker, if the caller may see it; else the same 422 as for no such task."""
    try:
        await task_access(db, access.principal, blocker_id, "viewer")
    except NotFound:
        raise Unprocessable(
            "No such task.",
            errors=[{"loc": ["body", "task_id"], "msg": "no such task", "type": "unknown_task"}],
        ) from None
    task = await db.get(Task, blocker_id)
    assert task is not None
    return task


async def add(
    db: AsyncSession, access: ProjectAccess, task_id: uuid.UUID, blocker_id: uuid.UUID
) -> DependenciesRead:
    """Record that `blocker_id` blocks `task_id`; 409 on a duplicate or a cycle."""
    access.require_writable()
    if blocker_id == task_id:
        raise Unprocessable(
            "A task cannot block itself.",
            errors=[{"loc": ["body", "task_id"], "msg": "is this task", "type": "self_dependency"}],
        )
    blocker = await _blocker(db, access, blocker_id)
    await repo.lock_graph(db)
    blocked = await tasks_repo.get_for_update(db, task_id)
    if blocked is None:
        raise not_found("task")
    if await repo.get(db, blocker_id, task_id) is not None:
        raise DuplicateDependency("This task already blocks that one.")
    if await repo.reaches(db, task_id, blocker_id):
        raise DependencyCycle("The task already blocks the other one (directly or through others).")
    db.add(Dependency(blocker_id=blocker_id, blocked_id=task_id, created_by=access.user_id))
    await db.flush()
    await _record(db, access, blocked, blocker, added=True)
    return await read(db, access, task_id)


async def remove(
    db: AsyncSession, access: ProjectAccess, task_id: uuid.UUID, blocker_id: uuid.UUID
) -> None:
    """Remove the link (404 when there is none)."""
    access.require_writable()
    await repo.lock_graph(db)
    blocked = await tasks_repo.get_for_update(db, task_id)
    if blocked is None:
        raise not_found("task")
    if not await repo.remove(db, blocker_id, task_id):
        raise not_found("dependency")
    blocker = await db.get(Task, blocker_id)
    if blocker is not None:
        await _record(db, access, blocked, blocker, added=False)


async def _record(
    db: AsyncSession, access: ProjectAccess, blocked: Task, blocker: Task, *, added: bool
) -> None:
    key = await tasks_repo.project_key(db, blocked.project_id)
    ref = _ref(blocker, await tasks_repo.project_key(db, blocker.project_id))
    action = "task.dependency_added" if added else "task.dependency_removed"
    activity.record(
        db,
        project_id=blocked.project_id,
        task_id=blocked.id,
        actor_id=access.user_id,
        action=action,
        changes={
            "blocked_by": {
                "before": None if added else str(blocker.id),
                "after": str(blocker.id) if added else None,
            }
        },
    )
    snap = ev.snapshot(blocked, key)
    event = (
        TaskDependencyAdded(task=snap, blocker=ref)
        if added
        else TaskDependencyRemoved(task=snap, blocker=ref)
    )
    await ev.emit(db, event, access.user_id)


async def read(db: AsyncSession, access: ProjectAccess, task_id: uuid.UUID) -> DependenciesRead:
    """The task's blockers and the tasks it blocks, as far as the caller may see them."""
    blocked_by: list[LinkedTask] = []
    blocks: list[LinkedTask] = []
    for r in await repo.linked(db, task_id, access.user_id):
        item = LinkedTask(
            task_id=r.id,
            project_id=r.project_id,
            key=f"{r.key}-{r.number}",
            title=r.title,
            status=r.status,
            status_category=r.status_category,
            open=r.deleted_at is None and r.status_category not in repo.CLOSED,
        )
        (blocked_by if r.is_blocker else blocks).append(item)
    return DependenciesRead(
        task_id=task_id,
        blocked=bool(await repo.open_blockers(db, task_id)),
        blocked_by=blocked_by,
        blocks=blocks,
    )


async def is_blocked(db: AsyncSession, task_id: uuid.UUID) -> bool:
    """True when an open task blocks this one."""
    return bool(await repo.open_blockers(db, task_id))


async def check_completion(db: AsyncSession, task: Task) -> None:
    """409 naming the open blockers, unless the task's project allows completing anyway."""
    allowed = await db.get(Project, task.project_id)
    if allowed is not None and allowed.allow_completion_with_open_blockers:
        return
    blockers = await repo.open_blockers(db, task.id)
    if blockers:
        keys = [f"{b.key}-{b.number}" for b in blockers]
        raise OpenBlockers(
            f"Open blockers: {', '.join(keys)}.",
            blockers=[
                {"task_id": str(b.id), "key": f"{b.key}-{b.number}", "title": b.title}
                for b in blockers
            ],
        )


async def after_close(db: AsyncSession, actor_id: uuid.UUID, blocker: Task) -> int:
    """The blocker was completed or cancelled: tell each task it no longer blocks by anything
    open (`task.unblocked`, whose assignees notifications tells). Returns how many."""
    ids = await repo.newly_unblocked(db, blocker.id)
    if not ids:
        return 0
    ref = _ref(blocker, await tasks_repo.project_key(db, blocker.project_id))
    for task_id in ids:
        # Locked like any write of that task, so its events stay in commit order.
        task = await tasks_repo.get_for_update(db, task_id)
        if task is None:
            continue
        key = await tasks_repo.project_key(db, task.project_id)
        await ev.emit(db, TaskUnblocked(task=ev.snapshot(task, key), blocker=ref), actor_id)
    return len(ids)
