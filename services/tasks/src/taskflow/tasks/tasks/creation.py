"""Creating a task: its status, its number under the project row lock, its first activity row
and `task.created`, in the request's transaction.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.clock import utcnow as now
from taskflow.events.ids import uuid7
from taskflow.tasks import domain_events as ev
from taskflow.tasks.activity import service as activity
from taskflow.tasks.mentions import newly_mentioned
from taskflow.tasks.projects import repository as projects_repo
from taskflow.tasks.projects.auth import ProjectAccess
from taskflow.tasks.tasks.models import PRIORITIES, Task
from taskflow.tasks.tasks.rules import (
    _dedupe,
    counted,
    reminders_json,
    state_of,
    validate_refs,
)
from taskflow.tasks.tasks.schemas import TaskCreate, TaskRead, to_read
from taskflow.tasks.workflows import service as workflows


async def create(
    db: AsyncSession,
    access: ProjectAccess,
    data: TaskCreate,
    *,
    series: tuple[uuid.UUID, int] | None = None,
    override_wip: bool = False,
    mentions: bool = True,
) -> TaskRead:
    """Create a task; numbers it under the project row lock (`OPS-124`).

    The status is the one named (`status_id` or `status`), else the first open status.
    `mentions=False` (the next occurrence of a series) does not announce the description's
    @mentions again: they were told when the series began.
    """
    access.require_writable()
    status = await workflows.resolve(
        db, access.project_id, status_id=data.status_id, name=data.status
    )
    await workflows.check_wip(db, access, status, task_id=None, override=override_wip)
    values = data.model_dump()
    values["label_ids"] = _dedupe(data.label_ids)
    values["assignee_ids"] = _dedupe(data.assignee_ids)
    values["watcher_ids"] = _dedupe(data.watcher_ids)
    await validate_refs(db, access.project_id, values)
    total, done = counted(status.category, False)
    number, key = await projects_repo.bump_counter(db, access.project_id, total=total, done=done)
    ts = now()
    task_id = uuid7()
    if series is None and data.recurrence is not None:
        series = (task_id, 0)
    task = Task(
        id=task_id,
        project_id=access.project_id,
        number=number,
        title=data.title,
        description=data.description,
        status=status.name,
        status_id=status.id,
        status_category=status.category,
        priority=PRIORITIES.index(data.priority),
        label_ids=values["label_ids"],
        assignee_ids=values["assignee_ids"],
        watcher_ids=values["watcher_ids"],
        due_at=data.due_at,
        start_at=data.start_at,
        reminders=reminders_json(data.reminders),
        recurrence=data.recurrence.model_dump() if data.recurrence else None,
        series_id=series[0] if series else None,
        occurrence_index=series[1] if series else None,
        progress=data.progress,
        estimate_minutes=data.estimate_minutes,
        parent_id=data.parent_id,
        milestone_id=data.milestone_id,
        position=data.position if data.position is not None else float(number),
        completed_at=ts if status.category == "done" else None,
        version=1,
        created_by=access.user_id,
        created_at=ts,
        updated_at=ts,
    )
    db.add(task)
    await db.flush()
    activity.record(
        db,
        project_id=task.project_id,
        task_id=task.id,
        actor_id=access.user_id,
        action="task.created",
        changes=activity.diff({}, state_of(task)),
    )
    mentioned = await newly_mentioned(db, task.project_id, None, task.description, access.user_id)
    await ev.emit(db, ev.task_created(task, key, mentioned), access.user_id)
    return to_read(task, key)
