"""SQL of saved views: name checks and a user's list."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.pagination import Page, PageParams, keyset_page
from taskflow.tasks.views.models import SavedView


async def name_taken(
    db: AsyncSession, user_id: uuid.UUID, name: str, but: uuid.UUID | None = None
) -> bool:
    """Whether another view of the user has this name."""
    stmt = select(SavedView.id).where(SavedView.user_id == user_id, SavedView.name == name)
    if but is not None:
        stmt = stmt.where(SavedView.id != but)
    return (await db.execute(stmt)).first() is not None


async def page_of_user(db: AsyncSession, user_id: uuid.UUID, page: PageParams) -> Page[SavedView]:
    """One page of a user's saved views, by name."""
    stmt = select(SavedView).where(SavedView.user_id == user_id)
    return await keyset_page(db, stmt, [SavedView.name, SavedView.id], page)
