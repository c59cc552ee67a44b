"""SQL of the membership projection."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from taskflow.auth.memberships.models import ProjectMember


async def add(session: AsyncSession, project_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """Record a membership (idempotent)."""
    await session.execute(
        insert(ProjectMember)
        .values(project_id=project_id, user_id=user_id)
        .on_conflict_do_nothing(index_elements=["project_id", "user_id"])
    )


async def remove(session: AsyncSession, project_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """Forget a membership (idempotent)."""
    await session.execute(
        delete(ProjectMember).where(
            ProjectMember.project_id == project_id, ProjectMember.user_id == user_id
        )
    )


def co_members_of(user_id: uuid.UUID, among: Iterable[uuid.UUID] | None = None) -> Select[Any]:
    """The ids of everyone who shares at least one project with `user_id` (`among` a set)."""
    mine, theirs = aliased(ProjectMember), aliased(ProjectMember)
    stmt = (
        select(theirs.user_id)
        .join(mine, mine.project_id == theirs.project_id)
        .where(mine.user_id == user_id)
    )
    if among is not None:
        stmt = stmt.where(theirs.user_id.in_(list(among)))
    return stmt


async def sharing_with(
    session: AsyncSession, user_id: uuid.UUID, others: Iterable[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of `others` share at least one project with `user_id`."""
    wanted = set(others)
    if not wanted:
        return set()
    return set(await session.scalars(co_members_of(user_id, wanted).distinct()))
