"""HTTP routes of task dependencies (what blocks a task)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from taskflow.common.db import SessionDep
from taskflow.common.errors import Conflict, Forbidden, NotFound, Unprocessable, errors
from taskflow.common.scopes import Scope
from taskflow.common.security import require_scope
from taskflow.tasks.dependencies import service
from taskflow.tasks.dependencies.schemas import DependenciesRead, DependencyCreate
from taskflow.tasks.tasks.auth import TaskViewer, TaskWriter

router = APIRouter(prefix="/api/v1", tags=["dependencies"])


@router.get(
    "/tasks/{task_id}/dependencies",
    dependencies=[require_scope(Scope.TASKS_READ)],
    response_model=DependenciesRead,
    operation_id="dependencies_list",
    responses=errors(NotFound),
)
async def list_dependencies(
    task_id: uuid.UUID, access: TaskViewer, db: SessionDep
) -> DependenciesRead:
    """What blocks the task and what it blocks (tasks of projects the caller is in)."""
    return await service.read(db, access, task_id)


@router.post(
    "/tasks/{task_id}/blocked-by",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    status_code=status.HTTP_201_CREATED,
    response_model=DependenciesRead,
    operation_id="dependencies_create",
    responses=errors(NotFound, Forbidden, Conflict, Unprocessable),
)
async def add_blocker(
    task_id: uuid.UUID, body: DependencyCreate, access: TaskWriter, db: SessionDep
) -> DependenciesRead:
    """Record that another task blocks this one (member or higher; 409 on a cycle)."""
    return await service.add(db, access, task_id, body.task_id)


@router.delete(
    "/tasks/{task_id}/blocked-by/{blocker_id}",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    status_code=204,
    operation_id="dependencies_delete",
    responses=errors(NotFound, Forbidden, Conflict),
)
async def remove_blocker(
    task_id: uuid.UUID, blocker_id: uuid.UUID, access: TaskWriter, db: SessionDep
) -> Response:
    """Remove a blocker of this task (member or higher)."""
    await service.remove(db, access, task_id, blocker_id)
    return Response(status_code=204)
