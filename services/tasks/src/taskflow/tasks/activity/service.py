"""Writing and reading the activity log."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.pagination import Page, PageParams
from taskflow.tasks.activity import repository
from taskflow.tasks.activity.models import Activity
from taskflow.tasks.activity.schemas import ActivityRead


def jsonable(value: Any) -> Any:
    """A value as it is stored in `changes` (JSON): ids and times as strings."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`{field: {"before": b, "after": a}}` for every field whose value changed."""
    return {
        k: {"before": jsonable(before.get(k)), "after": jsonable(after[k])}
        for k in after
        if jsonable(before.get(k)) != jsonable(after[k])
    }


def record(
    db: AsyncSession,
    *,
    project_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    action: str,
    changes: dict[str, Any] | None = None,
    task_id: uuid.UUID | None = None,
) -> Activity:
    """Add an activity row to the caller's transaction (flushed with the change itself)."""
    row = Activity(
        project_id=project_id,
        task_id=task_id,
        actor_id=actor_id,
        action=action,
        changes=jsonable(changes or {}),
    )
    db.add(row)
    return row


def _reads(rows: Page[Activity]) -> Page[ActivityRead]:
    return Page[ActivityRead](
        items=[ActivityRead.model_validate(a) for a in rows.items], next_cursor=rows.next_cursor
    )


async def task_page(db: AsyncSession, task_id: uuid.UUID, page: PageParams) -> Page[ActivityRead]:
    """What happened to a task, newest first."""
    return _reads(await repository.page_of_task(db, task_id, page))


async def project_page(
    db: AsyncSession, project_id: uuid.UUID, page: PageParams
) -> Page[ActivityRead]:
    """What happened in a project, newest first."""
    return _reads(await repository.page_of_project(db, project_id, page))
