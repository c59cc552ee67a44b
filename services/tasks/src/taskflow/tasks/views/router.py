"""Saved views: a user's named task-list filters."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from taskflow.common.db import SessionDep
from taskflow.common.errors import Conflict, NotFound, errors
from taskflow.common.idempotency import IdempotencyDep
from taskflow.common.pagination import Page, PageParamsDep
from taskflow.common.scopes import Scope
from taskflow.common.security import CurrentPrincipal, require_scope
from taskflow.tasks.views import service
from taskflow.tasks.views.schemas import ViewCreate, ViewRead, ViewUpdate

router = APIRouter(prefix="/api/v1/views", tags=["views"])


@router.get(
    "",
    dependencies=[require_scope(Scope.TASKS_READ)],
    response_model=Page[ViewRead],
    operation_id="views_list",
)
async def list_views(who: CurrentPrincipal, db: SessionDep, page: PageParamsDep) -> Page[ViewRead]:
    """My saved views, by name."""
    return await service.list_mine(db, who, page)


@router.post(
    "",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    status_code=status.HTTP_201_CREATED,
    response_model=ViewRead,
    operation_id="views_create",
    responses=errors(NotFound, Conflict),
)
async def create_view(
    body: ViewCreate, who: CurrentPrincipal, db: SessionDep, idem: IdempotencyDep
) -> Response:
    """Save a named filter set."""
    read = await service.create(db, who, body)
    return await idem.respond(db, read, status_code=201)


@router.patch(
    "/{view_id}",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    response_model=ViewRead,
    operation_id="views_update",
    responses=errors(NotFound, Conflict),
)
async def update_view(
    view_id: uuid.UUID, body: ViewUpdate, who: CurrentPrincipal, db: SessionDep
) -> ViewRead:
    """Rename a view or change its filters."""
    return await service.update(db, who, view_id, body)


@router.delete(
    "/{view_id}",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    status_code=204,
    operation_id="views_delete",
    responses=errors(NotFound),
)
async def delete_view(view_id: uuid.UUID, who: CurrentPrincipal, db: SessionDep) -> Response:
    """Delete a view."""
    await service.delete(db, who, view_id)
    return Response(status_code=204)
