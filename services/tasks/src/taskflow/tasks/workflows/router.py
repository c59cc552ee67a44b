"""HTTP routes of a project's workflow (its statuses)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from taskflow.common.concurrency import IfMatch, set_etag
from taskflow.common.db import SessionDep
from taskflow.common.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    Unprocessable,
    errors,
)
from taskflow.common.scopes import Scope
from taskflow.common.security import require_scope
from taskflow.tasks.projects.auth import ProjectAdmin, ProjectViewer
from taskflow.tasks.workflows import service
from taskflow.tasks.workflows.schemas import (
    StatusCreate,
    StatusOrder,
    StatusRead,
    StatusUpdate,
    WorkflowRead,
)

router = APIRouter(prefix="/api/v1", tags=["workflows"])
ADMIN_ERRORS = (NotFound, Forbidden, Conflict, Unprocessable)


@router.get(
    "/projects/{project_id}/statuses",
    dependencies=[require_scope(Scope.TASKS_READ)],
    response_model=WorkflowRead,
    operation_id="statuses_list",
    responses=errors(NotFound),
)
async def list_statuses(access: ProjectViewer, db: SessionDep) -> WorkflowRead:
    """The project's workflow: its statuses in board order, with live task counts."""
    return await service.workflow(db, access.project_id)


@router.post(
    "/projects/{project_id}/statuses",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    status_code=status.HTTP_201_CREATED,
    response_model=StatusRead,
    operation_id="statuses_create",
    responses=errors(*ADMIN_ERRORS),
)
async def create_status(
    body: StatusCreate, access: ProjectAdmin, db: SessionDep, response: Response
) -> StatusRead:
    """Add a status to the workflow (project admin or owner)."""
    created = await service.add(db, access, body)
    set_etag(response, created.version)
    return created


@router.put(
    "/projects/{project_id}/statuses/order",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    response_model=WorkflowRead,
    operation_id="statuses_reorder",
    responses=errors(*ADMIN_ERRORS),
)
async def reorder_statuses(body: StatusOrder, access: ProjectAdmin, db: SessionDep) -> WorkflowRead:
    """Put the statuses in a new board order (project admin or owner)."""
    return await service.reorder(db, access, body)


@router.patch(
    "/projects/{project_id}/statuses/{status_id}",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    response_model=StatusRead,
    operation_id="statuses_update",
    responses=errors(*ADMIN_ERRORS, PreconditionFailed),
)
async def update_status(
    status_id: uuid.UUID,
    body: StatusUpdate,
    access: ProjectAdmin,
    db: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> StatusRead:
    """Rename or recolour a status, or change its WIP limit (project admin or owner)."""
    updated = await service.update(db, access, status_id, body, if_match)
    set_etag(response, updated.version)
    return updated


@router.delete(
    "/projects/{project_id}/statuses/{status_id}",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    status_code=204,
    operation_id="statuses_delete",
    responses=errors(*ADMIN_ERRORS, PreconditionFailed),
)
async def delete_status(
    status_id: uuid.UUID,
    move_to: Annotated[
        uuid.UUID, Query(description="The status that receives the removed status's tasks.")
    ],
    access: ProjectAdmin,
    db: SessionDep,
    if_match: IfMatch = None,
) -> Response:
    """Remove a status, moving its tasks to `move_to` in the same transaction (admin, owner)."""
    await service.remove(db, access, status_id, move_to, if_match)
    return Response(status_code=204)
