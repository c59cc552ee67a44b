"""Task changes that follow another domain's change: a member leaving, a label or milestone
deleted, a status removed. Each task changes as a PATCH would.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.clock import utcnow as now
from taskflow.tasks import domain_events as ev
from taskflow.tasks.activity import service as activity
from taskflow.tasks.dependencies import service as dependencies
from taskflow.tasks.tasks import repository as repo
from taskflow.tasks.tasks.rules import (
    _closes,
    adjust_counts,
    apply_status,
    counted,
    state_of,
)
from taskflow.tasks.workflows.models import ProjectStatus


async def strip_reference(
    db: AsyncSession,
    actor_id: uuid.UUID,
    project_id: uuid.UUID,
    *,
    user_id: uuid.UUID | None = None,
    label_id: uuid.UUID | None = None,
    milestone_id: uuid.UUID | None = None,
) -> int:
    """Take a leaving member, a deleted label or a deleted milestone off every task using it.

    Each task changes like a PATCH would: version bump, activity row, `task.updated` and, for
    a member, one `task.unassigned` per task, so consumers never keep a stale assignee, label
    or milestone. Trashed tasks are cleaned too, so a restore never brings back a stranger.
    Tasks are locked in id order, like bulk, so two such writers cannot deadlock each other.
    Returns how many tasks changed.
    """
    tasks = await repo.lock_referencing(
        db, project_id, user_id=user_id, label_id=label_id, milestone_id=milestone_id
    )
    if not tasks:
        return 0
    key = await repo.project_key(db, project_id)
    ts = now()
    for task in tasks:
        before = state_of(task)
        if user_id is not None:
            task.assignee_ids = [x for x in task.assignee_ids or [] if x != user_id]
            task.watcher_ids = [x for x in task.watcher_ids or [] if x != user_id]
        if label_id is not None:
            task.label_ids = [x for x in task.label_ids or [] if x != label_id]
        if milestone_id is not None and task.milestone_id == milestone_id:
            task.milestone_id = None
        changed = activity.diff(before, state_of(task))
        if not changed:
            continue
        task.version += 1
        task.updated_at = ts
        activity.record(
            db,
            project_id=project_id,
            task_id=task.id,
            actor_id=actor_id,
            action="task.updated",
            changes=changed,
        )
        for event in ev.task_change_events(task, key, changed, before):
            await ev.emit(db, event, actor_id)
    await db.flush()
    return len(tasks)


async def move_status(
    db: AsyncSession,
    actor_id: uuid.UUID,
    project_id: uuid.UUID,
    source: ProjectStatus,
    target: ProjectStatus,
) -> int:
    """Move every task of `source` (live and trashed) to `target`, as a PATCH would each.

    Used when a status is removed: each task gets a version bump, an activity row and its
    `task.*` events (a move into `done` completes it), and the project counters follow. WIP
    limits and open blockers do not refuse it: the admin removing a status chose where its
    tasks go (a task freed of its last open blocker is still announced). Tasks are
    locked in id order, like bulk. Returns how many moved.
    """
    tasks = await repo.lock_in_status(db, source.id)
    if not tasks:
        return 0
    key = await repo.project_key(db, project_id)
    ts = now()
    before_counts, after_counts = (0, 0), (0, 0)
    for task in tasks:
        before = state_of(task)
        live = task.deleted_at is None
        b = counted(task.status_category, not live)
        closing = live and _closes(task.status_category, target.category)
        apply_status(task, target, ts)
        a = counted(task.status_category, not live)
        before_counts = (before_counts[0] + b[0], before_counts[1] + b[1])
        after_counts = (after_counts[0] + a[0], after_counts[1] + a[1])
        task.version += 1
        task.updated_at = ts
        changed = activity.diff(before, state_of(task))
        activity.record(
            db,
            project_id=project_id,
            task_id=task.id,
            actor_id=actor_id,
            action="task.updated",
            changes=changed,
        )
        for event in ev.task_change_events(task, key, changed, before):
            await ev.emit(db, event, actor_id)
        if closing:
            await dependencies.after_close(db, actor_id, task)
    await adjust_counts(db, project_id, before_counts, after_counts)
    await db.flush()
    return len(tasks)
