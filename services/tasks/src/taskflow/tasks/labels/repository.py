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


async def labels_in_project(
    db: AsyncSession, project_id: uuid.UUID, ids: list[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of `ids` are labels of the project."""
    if not ids:
        return set()
    rows = await db.execute(
        select(Label.id).where(Label.project_id == project_id, Label.id.in_(ids))
    )
    return set(rows.scalars())


async def label_names(db: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Names of these labels."""
    if not ids:
        return {}
    rows = await db.execute(select(Label.id, Label.name).where(Label.id.in_(ids)))
    return dict(rows.all())


async def labels_by_name(db: AsyncSession, project_id: uuid.UUID) -> dict[str, uuid.UUID]:
    """The project's labels by lower-cased name (names are unique regardless of case)."""
    rows = await db.execute(select(Label.id, Label.name).where(Label.project_id == project_id))
    return {n.lower(): i for i, n in rows.all()}


async def project_label_names(db: AsyncSession, project_id: uuid.UUID) -> dict[uuid.UUID, str]:
    """The project's label names by id."""
    rows = await db.execute(select(Label.id, Label.name).where(Label.project_id == project_id))
    return dict(rows.all())


async def all_of_project(db: AsyncSession, project_id: uuid.UUID) -> list[Label]:
    """Every label of the project, oldest first."""
    stmt = select(Label).where(Label.project_id == project_id).order_by(Label.created_at)
    return list((await db.execute(stmt)).scalars())
