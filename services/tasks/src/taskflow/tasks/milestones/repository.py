"""SQL of milestones: one (locked or not), a project's list, their task counts."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.pagination import Page, PageParams, keyset_page
from taskflow.tasks.milestones.models import Milestone
from taskflow.tasks.tasks.models import Task


async def progress(db: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[int, int]]:
    """(total, done) live tasks of each milestone; cancelled tasks do not count."""
    if not ids:
        return {}
    rows = await db.execute(
        select(
            Task.milestone_id,
            func.count().filter(Task.status_category != "cancelled"),
            func.count().filter(Task.status_category == "done"),
        )
        .where(Task.milestone_id.in_(ids), Task.deleted_at.is_(None))
        .group_by(Task.milestone_id)
    )
    return {mid: (int(total), int(done)) for mid, total, done in rows.all() if mid is not None}


async def get(db: AsyncSession, milestone_id: uuid.UUID, *, lock: bool) -> Milestone | None:
    """One milestone; with `lock`, its row locked (key share) and reloaded."""
    stmt = select(Milestone).where(Milestone.id == milestone_id)
    if lock:
        stmt = stmt.with_for_update(key_share=True).execution_options(populate_existing=True)
    return (await db.execute(stmt)).scalar_one_or_none()


async def page_of_project(
    db: AsyncSession, project_id: uuid.UUID, page: PageParams
) -> Page[Milestone]:
    """One page of a project's milestones, in creation order."""
    stmt = select(Milestone).where(Milestone.project_id == project_id)
    return await keyset_page(db, stmt, [Milestone.id], page)


async def milestone_in_project(db: AsyncSession, project_id: uuid.UUID, mid: uuid.UUID) -> bool:
    """True when the milestone belongs to the project."""
    row = await db.execute(
        select(Milestone.id).where(Milestone.id == mid, Milestone.project_id == project_id)
    )
    return row.first() is not None


async def milestone_titles(db: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Titles of these milestones."""
    if not ids:
        return {}
    rows = await db.execute(select(Milestone.id, Milestone.title).where(Milestone.id.in_(ids)))
    return dict(rows.all())


async def milestones_by_title(db: AsyncSession, project_id: uuid.UUID) -> dict[str, uuid.UUID]:
    """The project's milestones by lower-cased title (the oldest wins a tie)."""
    rows = await db.execute(
        select(Milestone.id, Milestone.title)
        .where(Milestone.project_id == project_id)
        .order_by(Milestone.created_at.desc(), Milestone.id.desc())
    )
    return {t.lower(): i for i, t in rows.all()}


async def all_of_project(db: AsyncSession, project_id: uuid.UUID) -> list[Milestone]:
    """Every milestone of the project, oldest first."""
    stmt = (
        select(Milestone)
        .where(Milestone.project_id == project_id)
        .order_by(Milestone.created_at, Milestone.id)
    )
    return list((await db.execute(stmt)).scalars())
