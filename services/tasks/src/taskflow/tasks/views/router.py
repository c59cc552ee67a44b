"""Saved views: a user's named task-list filters."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.db import SessionDep
from taskflow.common.errors import Conflict, NotFound, errors
from taskflow.common.idempotency import IdempotencyDep
from taskflow.common.pagination import Page, PageParamsDep, keyset_filter
from taskflow.common.scopes import Scope
from taskflow.common.security import CurrentPrincipal, require_scope
from taskflow.events.ids import uuid7
from taskflow.tasks.projects.auth import project_access
from taskflow.tasks.sorting import cols
from taskflow.tasks.tasks.schemas import TaskFilters
from taskflow.tasks.views.models import SavedView

router = APIRouter(prefix="/api/v1/views", tags=["views"])


class ViewCreate(BaseModel):
    """A named filter set, for all my projects or one."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=100)
    project_id: uuid.UUID | None = None
    filters: TaskFilters = Field(default_factory=TaskFilters)


class ViewUpdate(BaseModel):
    """Fields to change."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=100)
    filters: TaskFilters | None = None


class ViewRead(BaseModel):
    """A saved view."""

    id: uuid.UUID
    name: str
    project_id: uuid.UUID | None
    filters: TaskFilters
    created_at: datetime
    updated_at: datetime


class DuplicateView(Conflict):
    default_code = "duplicate_view"
    default_title = "A view with this name exists"


def _read(v: SavedView) -> ViewRead:
    return ViewRead(
        id=v.id,
        name=v.name,
        project_id=v.project_id,
        filters=TaskFilters.model_validate(v.filters),
        created_at=v.created_at,
        updated_at=v.updated_at,
    )


async def _mine(db: AsyncSession, user_id: uuid.UUID, view_id: uuid.UUID) -> SavedView:
    v = await db.get(SavedView, view_id)
    if v is None or v.user_id != user_id:
        raise NotFound("The view does not exist.", code="view_not_found")
    return v


async def _name_taken(
    db: AsyncSession, user_id: uuid.UUID, name: str, but: uuid.UUID | None = None
) -> bool:
    stmt = select(SavedView.id).where(SavedView.user_id == user_id, SavedView.name == name)
    if but is not None:
        stmt = stmt.where(SavedView.id != but)
    return (await db.execute(stmt)).first() is not None


def _filters_json(f: TaskFilters) -> dict[str, Any]:
    return f.model_dump(mode="json", exclude_none=True)


@router.get(
    "",
    dependencies=[require_scope(Scope.TASKS_READ)],
    response_model=Page[ViewRead],
    operation_id="views_list",
)
async def list_views(who: CurrentPrincipal, db: SessionDep, page: PageParamsDep) -> Page[ViewRead]:
    """My saved views, by name."""
    stmt = select(SavedView).where(SavedView.user_id == who.user_id)
    if (after := page.after(length=2)) is not None:
        stmt = stmt.where(keyset_filter(cols([SavedView.name, SavedView.id]), after))
    rows = (
        (await db.execute(stmt.order_by(SavedView.name, SavedView.id).limit(page.limit + 1)))
        .scalars()
        .all()
    )
    result = page.page(rows, lambda v: (v.name, v.id))
    return Page[ViewRead](items=[_read(v) for v in result.items], next_cursor=result.next_cursor)


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
    if body.project_id is not None:
        await project_access(db, who, body.project_id, "viewer")
    if await _name_taken(db, who.user_id, body.name):
        raise DuplicateView(f"You have a view named {body.name}.")
    ts = datetime.now(UTC)
    v = SavedView(
        id=uuid7(),
        user_id=who.user_id,
        name=body.name,
        project_id=body.project_id,
        filters=_filters_json(body.filters),
        created_at=ts,
        updated_at=ts,
    )
    db.add(v)
    await db.flush()
    return await idem.respond(db, _read(v), status_code=201)


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
    v = await _mine(db, who.user_id, view_id)
    if body.name is not None and body.name != v.name:
        if await _name_taken(db, who.user_id, body.name, but=v.id):
            raise DuplicateView(f"You have a view named {body.name}.")
        v.name = body.name
    if body.filters is not None:
        v.filters = _filters_json(body.filters)
    v.updated_at = datetime.now(UTC)
    return _read(v)


@router.delete(
    "/{view_id}",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    status_code=204,
    operation_id="views_delete",
    responses=errors(NotFound),
)
async def delete_view(view_id: uuid.UUID, who: CurrentPrincipal, db: SessionDep) -> Response:
    """Delete a view."""
    await db.delete(await _mine(db, who.user_id, view_id))
    return Response(status_code=204)
