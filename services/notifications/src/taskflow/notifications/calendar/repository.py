"""SQL of the calendar domain: the private feeds' secrets (stored as their SHA-256)."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.notifications.calendar.models import CalendarFeed
from taskflow.notifications.projections.models import UserProjection


async def set_feed_secret(session: AsyncSession, user_id: uuid.UUID, secret_hash: str) -> None:
    """Store the user's feed secret hash, replacing the one they had (one feed per user)."""
    stmt = insert(CalendarFeed).values(user_id=user_id, secret_hash=secret_hash)
    await session.execute(
        stmt.on_conflict_do_update(index_elements=["user_id"], set_={"secret_hash": secret_hash})
    )


async def delete_feed(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Forget the user's feed secret."""
    await session.execute(delete(CalendarFeed).where(CalendarFeed.user_id == user_id))


async def feed_owner(session: AsyncSession, secret_hash: str) -> uuid.UUID | None:
    """The user whose feed secret has this hash, unless the user is known to be deactivated
    (a user the projection has not heard of yet still gets their feed)."""
    stmt = (
        select(CalendarFeed.user_id)
        .outerjoin(UserProjection, UserProjection.id == CalendarFeed.user_id)
        .where(CalendarFeed.secret_hash == secret_hash, UserProjection.active.is_not(False))
    )
    return (await session.scalars(stmt)).first()
