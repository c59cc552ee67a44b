"""Recurring tasks: the next occurrence, created exactly once per occurrence.

Two ways lead here: the worker consumes `task.completed` (both modes), and for `fixed` mode it
also scans for series whose latest occurrence is due, so the schedule advances even while the
last occurrence is still open. Both create occurrence `index + 1` of the series inside a
savepoint; the unique constraint `(series_id, occurrence_index)` makes a second attempt (a
redelivered event, another worker) a no-op, so each occurrence has exactly one successor.
Since a successor is only made once its predecessor is completed or due, at most one open
occurrence lies in the future.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.errors import ProblemError
from taskflow.common.logging import get_logger
from taskflow.common.security import Principal
from taskflow.tasks.activity import repository as activity_repo
from taskflow.tasks.projects import repository as projects_repo
from taskflow.tasks.projects.auth import ProjectAccess
from taskflow.tasks.projects.models import Project
from taskflow.tasks.tasks import repository as tasks_repo
from taskflow.tasks.tasks import service
from taskflow.tasks.tasks.models import PRIORITIES, Task
from taskflow.tasks.tasks.recurrence import RecurrenceError, next_after_completion, next_fixed
from taskflow.tasks.tasks.schemas import TaskCreate
from taskflow.tasks.users import repository as users_repo

log = get_logger(__name__)


def _next_due(task: Task, tz: str, now: datetime) -> datetime | None:
    rec = task.recurrence or {}
    rule, mode = rec.get("rrule", ""), rec.get("mode", "after_completion")
    if mode == "fixed":
        return next_fixed(rule, task.due_at or task.created_at, tz)
    return next_after_completion(rule, task.completed_at or now, task.due_at, tz)


def _carry_reminders(
    reminders: list[dict[str, Any]], shift: timedelta | None
) -> list[dict[str, Any]]:
    out = []
    for r in reminders:
        if "before_minutes" in r:
            out.append({"before_minutes": r["before_minutes"]})
        elif shift is not None and r.get("at"):
            out.append({"at": (datetime.fromisoformat(r["at"]) + shift).isoformat()})
    return out


async def create_next(
    db: AsyncSession, task_id: uuid.UUID, *, now: datetime | None = None
) -> Task | None:
    """Create the occurrence after `task_id` unless it exists; returns it (or None)."""
    now = now or datetime.now(UTC)
    task = await db.get(Task, task_id, populate_existing=True)
    if task is None or task.recurrence is None or task.series_id is None or task.deleted_at:
        return None
    project = await db.get(Project, task.project_id)
    if project is None or project.deleted_at is not None or project.archived_at is not None:
        return None
    index = (task.occurrence_index or 0) + 1
    if await tasks_repo.occurrence_exists(db, task.series_id, index):
        return None
    # The series owner's timezone: their wall clock is what the rule means.
    tz = await users_repo.timezone_of(db, task.created_by)
    try:
        due = _next_due(task, tz, now)
    except RecurrenceError:
        log.warning("recurrence_rule_invalid", task_id=str(task.id))
        return None
    if due is None:  # COUNT/UNTIL reached
        return None
    shift = due - task.due_at if task.due_at else None
    members = await projects_repo.member_ids(
        db, task.project_id, list({*task.assignee_ids, *task.watcher_ids})
    )
    body = TaskCreate(
        title=task.title,
        description=task.description,
        priority=PRIORITIES[task.priority],
        label_ids=list(task.label_ids),
        assignee_ids=[u for u in task.assignee_ids if u in members],
        watcher_ids=[u for u in task.watcher_ids if u in members],
        due_at=due,
        start_at=(task.start_at + shift) if (task.start_at and shift is not None) else None,
        reminders=_carry_reminders(task.reminders or [], shift),
        recurrence=task.recurrence,
        estimate_minutes=task.estimate_minutes,
        milestone_id=task.milestone_id,
        parent_id=task.parent_id,
    )
    # The worker acts for the series owner; it is trusted, so it holds the owner role here.
    access = ProjectAccess(
        principal=Principal(user_id=task.created_by), project_id=task.project_id, role="owner"
    )
    try:
        async with db.begin_nested():
            if (
                body.parent_id is not None
                and (parent := await db.get(Task, body.parent_id))
                and parent.deleted_at
            ):
                body = body.model_copy(update={"parent_id": None})
            # A WIP limit never swallows the next occurrence of a series: it lands in the
            # first open status even when that column is full.
            created = await service.create(
                db, access, body, series=(task.series_id, index), override_wip=True, mentions=False
            )
    except IntegrityError:
        return None  # another delivery or worker made it first
    except ProblemError as exc:
        log.warning("recurrence_next_refused", task_id=str(task.id), code=exc.code)
        return None
    return await db.get(Task, created.id)


async def advance_fixed(db: AsyncSession, now: datetime | None = None) -> int:
    """One scan: for each due fixed series, create its next occurrence; returns how many."""
    now = now or datetime.now(UTC)
    made = 0
    for task_id in await tasks_repo.due_fixed_series(db, now):
        if await create_next(db, task_id, now=now) is not None:
            made += 1
    return made


async def purge_trash(db: AsyncSession, older_than: timedelta, batch: int = 1000) -> int:
    """Hard-delete tasks (with their comments) and projects trashed longer than `older_than`."""
    cutoff = datetime.now(UTC) - older_than
    ids = await tasks_repo.trashed_before(db, cutoff, batch)
    if ids:
        await activity_repo.delete_of_tasks(db, ids)
        await tasks_repo.delete_tasks(db, ids)
    projects = await projects_repo.trashed_before(db, cutoff, 100)
    if projects:
        await activity_repo.delete_of_projects(db, projects)
        await projects_repo.delete_projects(db, projects)
    return len(ids) + len(projects)
