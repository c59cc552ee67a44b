"""SQL of labels: name checks and the project's list."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.pagination import Page, PageParams, keyset_page
from taskflow.tasks.labels.models import Label


async def name_taken(
    db: AsyncSession, project_id: uuid.UUID, name: str, but: uuid.UUID | None = None
) -> bool:
    """Whether another label of the project has this name (case-insensitively)."""
    stmt = select(Label.id).where(
        Label.project_id == project_id, func.lower(Label.name) == name.lower()
    )
    if but is not None:
        stmt = stmt.where(Label.id != but)
    return (await db.execute(stmt)).first() is not None


async def page_of_project(db: AsyncSession, project_id: uuid.UUID, page: PageParams) -> Page[Label]:
    """One page of a project's labels, by name."""
    stmt = select(Label).where(Label.project_id == project_id)
    return await keyset_page(db, stmt, [Label.name, Label.id], page)
