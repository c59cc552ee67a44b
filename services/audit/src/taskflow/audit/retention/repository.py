"""SQL of the retention policy and legal holds (the two tables the api role may write)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.audit.db import legal_holds, retention_policy


async def get_policy(db: AsyncSession, *, for_update: bool = False) -> Any | None:
    q = select(retention_policy).where(retention_policy.c.id == 1)
    if for_update:
        q = q.with_for_update()
    return (await db.execute(q)).one_or_none()


async def put_policy(db: AsyncSession, days: int, version: int, by: uuid.UUID) -> Any:
    values = {"days": days, "version": version, "updated_at": func.now(), "updated_by": by}
    stmt = (
        insert(retention_policy)
        .values(id=1, **values)
        .on_conflict_do_update(index_elements=[retention_policy.c.id], set_=values)
        .returning(*retention_policy.c)
    )
    return (await db.execute(stmt)).one()


async def list_holds(db: AsyncSession) -> Sequence[Any]:
    return (await db.execute(select(legal_holds).order_by(legal_holds.c.created_at))).all()


async def add_hold(
    db: AsyncSession, project_id: uuid.UUID, reason: str | None, by: uuid.UUID
) -> Any | None:
    """The new hold, or None when the project is already held."""
    stmt = (
        insert(legal_holds)
        .values(project_id=project_id, reason=reason, created_at=func.now(), created_by=by)
        .on_conflict_do_nothing()
        .returning(*legal_holds.c)
    )
    return (await db.execute(stmt)).one_or_none()


async def remove_hold(db: AsyncSession, project_id: uuid.UUID) -> Any | None:
    """The hold removed, or None when the project was not held."""
    stmt = (
        delete(legal_holds).where(legal_holds.c.project_id == project_id).returning(*legal_holds.c)
    )
    return (await db.execute(stmt)).one_or_none()
