"""SQL of the retention policy, legal holds and recorded admin changes (the tables the api role
may write), and of the worker's side: appending recorded changes and trimming the inbox.

The worker's statements that move many rows take the asyncpg connection (`pg.driver`), as
the chain's own code does."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

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


_RECORD = text(
    "INSERT INTO audit.admin_changes"
    " (event_id, type, actor_id, subject, project_id, occurred_at, payload)"
    " VALUES (:event_id, :type, :actor_id, :subject, :project_id, :occurred_at,"
    " CAST(:payload AS json))"
)

_PENDING = """
SELECT event_id, type, actor_id, subject, project_id, occurred_at, payload::text
FROM audit.admin_changes ORDER BY occurred_at, event_id LIMIT $1 FOR UPDATE SKIP LOCKED
"""

_TRIM = text(
    "DELETE FROM audit.inbox WHERE ctid IN ("
    " SELECT ctid FROM audit.inbox WHERE handled_at < :cutoff LIMIT :chunk)"
)


async def add_change(db: AsyncSession, **values: Any) -> None:
    """Insert one admin change (`payload` as canonical JSON text) for the worker to append."""
    await db.execute(_RECORD, values)


async def pending_changes(pg: Any, limit: int) -> list[Any]:
    """Up to `limit` recorded changes, oldest first, locked (SKIP LOCKED: another worker's are
    passed over); `pg` is the asyncpg connection inside the caller's transaction."""
    return list(await pg.fetch(_PENDING, limit))


async def drop_changes(pg: Any, event_ids: list[Any]) -> None:
    """Delete recorded changes once they are in the chain."""
    await pg.execute("DELETE FROM audit.admin_changes WHERE event_id = ANY($1::uuid[])", event_ids)


async def trim_inbox_chunk(conn: AsyncConnection, cutoff: datetime, chunk: int) -> int:
    """Delete up to `chunk` inbox rows handled before `cutoff`; the number deleted."""
    result = await conn.execute(_TRIM, {"cutoff": cutoff, "chunk": chunk})
    return int(result.rowcount)
