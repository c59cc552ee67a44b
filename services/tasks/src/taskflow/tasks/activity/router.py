"""HTTP routes of the activity log (newest first)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from taskflow.common.db import SessionDep
from taskflow.common.errors import NotFound, errors
from taskflow.common.pagination import Page, PageParamsDep, keyset_filter
from taskflow.common.scopes import Scope
from taskflow.common.security import require_scope
from taskflow.tasks.activity.models import Activity
from taskflow.tasks.projects.auth import ProjectViewer
from taskflow.tasks.sorting import cols
from taskflow.tasks.tasks.auth import require_task_role

router = APIRouter(prefix="/api/v1", tags=["activity"])


class ActivityRead(BaseModel):
    """One change: who, what, and each field before and after."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    project_id: uuid.UUID
    task_id: uuid.UUID | None
    actor_id: uuid.UUID | None
    action: str
    changes: dict[str, Any]
    created_at: datetime


async def _page(db: Any, where: Any, page: Any) -> Page[ActivityRead]:
    stmt = select(Activity).where(where)
    if (after := page.after(length=1)) is not None:
        stmt = stmt.where(keyset_filter(cols([Activity.id]), after, descending=True))
    rows = (
        (await db.execute(stmt.order_by(Activity.id.desc()).limit(page.limit + 1))).scalars().all()
    )
    result = page.page(rows, lambda a: (a.id,))
    return Page[ActivityRead](
        items=[ActivityRead.model_validate(a) for a in result.items], next_cursor=result.next_cursor
    )


@router.get(
    "/tasks/{task_id}/activity",
    dependencies=[
        require_scope(Scope.TASKS_READ),
        Depends(require_task_role("viewer", deleted=None)),
    ],
    response_model=Page[ActivityRead],
    operation_id="activity_task",
    responses=errors(NotFound),
)
async def task_activity(
    task_id: uuid.UUID, db: SessionDep, page: PageParamsDep
) -> Page[ActivityRead]:
    """What happened to a task, newest first (also for a trashed task)."""
    return await _page(db, Activity.task_id == task_id, page)


@router.get(
    "/projects/{project_id}/activity",
    dependencies=[require_scope(Scope.TASKS_READ)],
    response_model=Page[ActivityRead],
    operation_id="activity_project",
    responses=errors(NotFound),
)
async def project_activity(
    access: ProjectViewer, db: SessionDep, page: PageParamsDep
) -> Page[ActivityRead]:
    """What happened in a project, newest first."""
    return await _page(db, Activity.project_id == access.project_id, page)
