"""SQL of the users projection."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.tasks.users.models import User


async def upsert(
    db: AsyncSession,
    *,
    user_id: uuid.UUID,
    email: str | None = None,
    display_name: str | None = None,
    timezone: str | None = None,
    is_active: bool | None = None,
    source_time: datetime | None = None,
) -> None:
    """Insert or update a user; a row changed by a newer event is left alone.

    Events of one user arrive in order from one queue, but a look-up answer from auth may
    race an event; `source_time` keeps the newest.
    """
    values: dict[str, object] = {"id": user_id}
    for name, value in (
        ("email", email.lower() if email else None),
        ("display_name", display_name),
        ("timezone", timezone),
        ("is_active", is_active),
        ("source_time", source_time),
    ):
        if value is not None:
            values[name] = value
    stmt = insert(User).values(**values)
    update: dict[str, Any] = {k: stmt.excluded[k] for k in values if k != "id"}
    update["updated_at"] = func.now()
    where = None
    if source_time is not None:
        where = or_(User.source_time.is_(None), User.source_time <= source_time)
    stmt = stmt.on_conflict_do_update(index_elements=[User.id], set_=update, where=where)
    await db.execute(stmt)


async def get(db: AsyncSession, user_id: uuid.UUID) -> User | None:
    """A projected user."""
    return await db.get(User, user_id)


async def by_email(db: AsyncSession, email: str) -> User | None:
    """A projected, active user by email (case-insensitive)."""
    return (
        await db.execute(select(User).where(User.email == email.lower(), User.is_active))
    ).scalar_one_or_none()


async def email_known(db: AsyncSession, email: str) -> bool:
    """Whether any projected account, active or not, has this (lower-case) address."""
    found = await db.scalar(select(User.id).where(User.email == email.lower()).limit(1))
    return found is not None


async def timezone_of(db: AsyncSession, user_id: uuid.UUID) -> str:
    """The user's IANA timezone, UTC when unknown."""
    tz = (await db.execute(select(User.timezone).where(User.id == user_id))).scalar_one_or_none()
    return tz or "UTC"
