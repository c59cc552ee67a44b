"""Rules of saved views: a user's own, names unique per user, a project view only for a member."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.errors import Conflict, NotFound
from taskflow.common.pagination import Page, PageParams
from taskflow.common.security import Principal
from taskflow.events.ids import uuid7
from taskflow.tasks.projects.auth import project_access
from taskflow.tasks.tasks.schemas import TaskFilters
from taskflow.tasks.views import repository
from taskflow.tasks.views.models import SavedView
from taskflow.tasks.views.schemas import ViewCreate, ViewRead, ViewUpdate, to_read


class DuplicateView(Conflict):
    default_code = "duplicate_view"
    default_title = "A view with this name exists"


async def _mine(db: AsyncSession, user_id: uuid.UUID, view_id: uuid.UUID) -> SavedView:
    v = await db.get(SavedView, view_id)
    if v is None or v.user_id != user_id:
        raise NotFound("The view does not exist.", code="view_not_found")
    return v


def _filters_json(f: TaskFilters) -> dict[str, Any]:
    return f.model_dump(mode="json", exclude_none=True)


async def list_mine(db: AsyncSession, who: Principal, page: PageParams) -> Page[ViewRead]:
    """My saved views, by name."""
    result = await repository.page_of_user(db, who.user_id, page)
    return Page[ViewRead](items=[to_read(v) for v in result.items], next_cursor=result.next_cursor)


async def create(db: AsyncSession, who: Principal, body: ViewCreate) -> ViewRead:
    """Save a named filter set (of one project only when the caller is in it)."""
    if body.project_id is not None:
        await project_access(db, who, body.project_id, "viewer")
    if await repository.name_taken(db, who.user_id, body.name):
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
    return to_read(v)


async def update(
    db: AsyncSession, who: Principal, view_id: uuid.UUID, body: ViewUpdate
) -> ViewRead:
    """Rename a view or change its filters."""
    v = await _mine(db, who.user_id, view_id)
    if body.name is not None and body.name != v.name:
        if await repository.name_taken(db, who.user_id, body.name, but=v.id):
            raise DuplicateView(f"You have a view named {body.name}.")
        v.name = body.name
    if body.filters is not None:
        v.filters = _filters_json(body.filters)
    v.updated_at = datetime.now(UTC)
    return to_read(v)


async def delete(db: AsyncSession, who: Principal, view_id: uuid.UUID) -> None:
    """Delete one of my views."""
    await db.delete(await _mine(db, who.user_id, view_id))
