"""SQL for personal access tokens."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.auth.db import utcnow
from taskflow.auth.pats.models import PersonalAccessToken


async def add(session: AsyncSession, row: PersonalAccessToken) -> PersonalAccessToken:
    session.add(row)
    await session.flush()
    return row


async def list_for(session: AsyncSession, user_id: uuid.UUID) -> Sequence[PersonalAccessToken]:
    """A user's tokens, newest first (revoked ones too, marked)."""
    rows = await session.scalars(
        select(PersonalAccessToken)
        .where(PersonalAccessToken.user_id == user_id)
        .order_by(PersonalAccessToken.created_at.desc(), PersonalAccessToken.id)
        .limit(200)
    )
    return list(rows)


async def find(session: AsyncSession, token_hash: bytes) -> PersonalAccessToken | None:
    row: PersonalAccessToken | None = await session.scalar(
        select(PersonalAccessToken).where(PersonalAccessToken.token_hash == token_hash)
    )
    return row


async def revoke(session: AsyncSession, user_id: uuid.UUID, token_id: uuid.UUID) -> bool:
    """Revoke one of the user's tokens; False when it is not theirs or already revoked."""
    result = await session.execute(
        update(PersonalAccessToken)
        .where(
            PersonalAccessToken.id == token_id,
            PersonalAccessToken.user_id == user_id,
            PersonalAccessToken.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
        .returning(PersonalAccessToken.id)
    )
    return result.scalar_one_or_none() is not None


async def revoke_all(session: AsyncSession, user_id: uuid.UUID) -> None:
    await session.execute(
        update(PersonalAccessToken)
        .where(PersonalAccessToken.user_id == user_id, PersonalAccessToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
