"""SQL of preferences."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.notifications.preferences.models import Preferences


async def for_users(
    session: AsyncSession, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Preferences]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = await session.scalars(select(Preferences).where(Preferences.user_id.in_(wanted)))
    return {p.user_id: p for p in rows}


async def get(session: AsyncSession, user_id: uuid.UUID) -> Preferences | None:
    return await session.get(Preferences, user_id)


async def save(session: AsyncSession, user_id: uuid.UUID, values: dict[str, Any]) -> Preferences:
    stmt = (
        insert(Preferences)
        .values(user_id=user_id, **values)
        .on_conflict_do_update(index_elements=["user_id"], set_=values)
        .returning(Preferences)
    )
    result = await session.scalars(stmt, execution_options={"populate_existing": True})
    return result.one()


async def lock_unless_locked(session: AsyncSession, user_id: uuid.UUID) -> Preferences | None:
    """The user's preferences row, locked; None when absent or another worker holds it."""
    rows = await session.scalars(
        select(Preferences).where(Preferences.user_id == user_id).with_for_update(skip_locked=True)
    )
    return rows.first()
