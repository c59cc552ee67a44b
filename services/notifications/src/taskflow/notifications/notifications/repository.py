"""SQL of in-app notifications. Every query is scoped to one user: isolation lives here."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.pagination import Page, PageParams, keyset_page
from taskflow.notifications.notifications.models import Notification


async def insert_many(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> list[Notification]:
    """Insert notifications, skipping any that already exist for the same source; return the new."""
    if not rows:
        return []
    # Parameters passed separately (not `.values([...])`) keep one cached compiled statement.
    stmt = (
        insert(Notification)
        .on_conflict_do_nothing(index_elements=["source_id", "user_id", "kind"])
        .returning(Notification)
    )
    result = await session.scalars(stmt, list(rows), execution_options={"populate_existing": True})
    return list(result.all())


async def page(
    session: AsyncSession, user_id: uuid.UUID, *, unread_only: bool, page: PageParams
) -> Page[Any]:
    """The user's notifications newest first, one page (the cursor is `(created_at, id)`)."""
    stmt = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    columns = [Notification.__table__.c.created_at, Notification.__table__.c.id]
    return await keyset_page(session, stmt, columns, page, descending=True)


async def created_since(
    session: AsyncSession, user_id: uuid.UUID, since: datetime, limit: int
) -> list[Notification]:
    """The user's notifications created after `since`, oldest first (for resume)."""
    stmt = (
        select(Notification)
        .where(Notification.user_id == user_id, Notification.created_at > since)
        .order_by(Notification.created_at, Notification.id)
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


async def mark_read(
    session: AsyncSession, user_id: uuid.UUID, notification_id: uuid.UUID, now: datetime
) -> Notification | None:
    """Mark one of the user's notifications read (idempotent); None if it is not theirs."""
    stmt = (
        update(Notification)
        .where(Notification.id == notification_id, Notification.user_id == user_id)
        .values(read_at=func.coalesce(Notification.read_at, now))
        .returning(Notification)
    )
    result = await session.scalars(stmt, execution_options={"populate_existing": True})
    return result.one_or_none()


async def mark_all_read(session: AsyncSession, user_id: uuid.UUID, now: datetime) -> int:
    """Mark every unread notification of the user read; return how many changed."""
    stmt = (
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=now)
    )
    result = await session.execute(stmt)
    return int(result.rowcount)  # type: ignore[attr-defined]


async def delete_one(session: AsyncSession, user_id: uuid.UUID, notification_id: uuid.UUID) -> bool:
    """Delete one of the user's notifications; False if it is not theirs."""
    stmt = delete(Notification).where(
        Notification.id == notification_id, Notification.user_id == user_id
    )
    result = await session.execute(stmt)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def count_unread(session: AsyncSession, user_id: uuid.UUID) -> int:
    """Unread notifications of the user (uses the partial index)."""
    stmt = select(func.count()).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    return int((await session.execute(stmt)).scalar_one())
