"""SQL of workflows: a project's statuses, their task counts, locks for WIP checks."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.tasks.tasks.models import Task
from taskflow.tasks.workflows.models import ProjectStatus


async def statuses(db: AsyncSession, project_id: uuid.UUID) -> list[ProjectStatus]:
    """The project's statuses in board order."""
    rows = await db.execute(
        select(ProjectStatus)
        .where(ProjectStatus.project_id == project_id)
        .order_by(ProjectStatus.position, ProjectStatus.id)
        .execution_options(populate_existing=True)
    )
    return list(rows.scalars())


async def live_counts(db: AsyncSession, project_id: uuid.UUID) -> dict[uuid.UUID, int]:
    """Live tasks per status of the project."""
    rows = await db.execute(
        select(Task.status_id, func.count())
        .where(Task.project_id == project_id, Task.deleted_at.is_(None))
        .group_by(Task.status_id)
    )
    return {sid: int(n) for sid, n in rows.all()}


async def get(
    db: AsyncSession, project_id: uuid.UUID, status_id: uuid.UUID, *, lock: bool = False
) -> ProjectStatus | None:
    """One status of the project (None when it is not the project's)."""
    stmt = select(ProjectStatus).where(
        ProjectStatus.id == status_id, ProjectStatus.project_id == project_id
    )
    if lock:
        stmt = stmt.with_for_update(key_share=True).execution_options(populate_existing=True)
    return (await db.execute(stmt)).scalar_one_or_none()


async def by_name(db: AsyncSession, project_id: uuid.UUID, name: str) -> ProjectStatus | None:
    """The project's status of this name (case-insensitive), if any."""
    stmt = select(ProjectStatus).where(
        ProjectStatus.project_id == project_id, func.lower(ProjectStatus.name) == name.lower()
    )
    return (await db.execute(stmt)).scalars().first()


async def first_open(db: AsyncSession, project_id: uuid.UUID) -> ProjectStatus | None:
    """Where a new task goes by default: the first backlog/todo status on the board."""
    stmt = (
        select(ProjectStatus)
        .where(
            ProjectStatus.project_id == project_id,
            ProjectStatus.category.in_(("backlog", "todo")),
        )
        .order_by(ProjectStatus.position, ProjectStatus.id)
        .limit(1)
    )
    found = (await db.execute(stmt)).scalar_one_or_none()
    return found or await first_of_category(db, project_id, "in_progress")


async def first_of_category(
    db: AsyncSession, project_id: uuid.UUID, category: str
) -> ProjectStatus | None:
    """The first status of a category on the board (`done` for "complete this")."""
    stmt = (
        select(ProjectStatus)
        .where(ProjectStatus.project_id == project_id, ProjectStatus.category == category)
        .order_by(ProjectStatus.position, ProjectStatus.id)
        .limit(1)
    )
    return (await db.execute(stmt)).scalar_one_or_none()


async def live_count(
    db: AsyncSession, status_id: uuid.UUID, *, but: uuid.UUID | None = None
) -> int:
    """Live tasks in a status (other than `but`)."""
    stmt = select(func.count()).where(Task.status_id == status_id, Task.deleted_at.is_(None))
    if but is not None:
        stmt = stmt.where(Task.id != but)
    return int((await db.execute(stmt)).scalar_one())


async def name_taken(
    db: AsyncSession, project_id: uuid.UUID, name: str, *, but: uuid.UUID | None = None
) -> bool:
    """True when another status of the project has this name (case-insensitive)."""
    found = await by_name(db, project_id, name)
    return found is not None and found.id != but
