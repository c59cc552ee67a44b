"""HTTP routes of the activity log (newest first)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends

from taskflow.common.db import SessionDep
from taskflow.common.errors import NotFound, errors
from taskflow.common.pagination import Page, PageParamsDep
from taskflow.common.scopes import Scope
from taskflow.common.security import require_scope
from taskflow.tasks.activity import service
from taskflow.tasks.activity.schemas import ActivityRead
from taskflow.tasks.projects.auth import ProjectViewer
from taskflow.tasks.tasks.auth import require_task_role

router = APIRouter(prefix="/api/v1", tags=["activity"])


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
    return await service.task_page(db, task_id, page)


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
    return await service.project_page(db, access.project_id, page)
