"""SQL for users and one-time tokens."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.auth.db import utcnow
from taskflow.auth.memberships.repository import co_members_of
from taskflow.auth.users.models import OneTimeToken, User
from taskflow.common.pagination import Page, PageParams, keyset_page


async def get(
    session: AsyncSession, user_id: uuid.UUID, *, for_update: bool = False
) -> User | None:
    """A user by id."""
    stmt = select(User).where(User.id == user_id)
    if for_update:
        stmt = stmt.with_for_update()
    user: User | None = await session.scalar(stmt)
    return user


async def get_by_email(
    session: AsyncSession, email: str, *, for_update: bool = False
) -> User | None:
    """A user by normalised email."""
    stmt = select(User).where(User.email == email)
    if for_update:
        stmt = stmt.with_for_update()
    user: User | None = await session.scalar(stmt)
    return user


async def search(
    session: AsyncSession,
    *,
    email: str | None,
    q: str | None,
    page: PageParams,
    sharing_with: uuid.UUID | None = None,
) -> Page[Any]:
    """A page of users ordered by (email, id); with `sharing_with`, only that user and the
    people who share a project with them.

    The cursor carries the id as text (`[email, "<uuid>"]`), as it always has: clients hold
    such cursors.
    """
    stmt = select(User)
    if sharing_with is not None:
        stmt = stmt.where(or_(User.id == sharing_with, User.id.in_(co_members_of(sharing_with))))
    if email:
        stmt = stmt.where(User.email == email)
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(
            or_(
                User.email.ilike(pattern, escape="\\"),
                User.display_name.ilike(pattern, escape="\\"),
            )
        )
    return await keyset_page(
        session,
        stmt,
        [User.email, User.id],
        page,
        key=lambda u: (u.email, str(u.id)),
        parse=lambda values: (str(values[0]), uuid.UUID(str(values[1]))),
    )


async def add_one_time_token(
    session: AsyncSession,
    user_id: uuid.UUID,
    purpose: str,
    token_hash: bytes,
    expires_at: datetime,
    new_email: str | None = None,
) -> None:
    """Store a one-time token (hash only)."""
    session.add(
        OneTimeToken(
            user_id=user_id,
            purpose=purpose,
            token_hash=token_hash,
            expires_at=expires_at,
            new_email=new_email,
        )
    )
    await session.flush()


async def consume_email_change(
    session: AsyncSession, token_hash: bytes
) -> tuple[uuid.UUID, str] | None:
    """Spend an unused, unexpired email-change token: (user id, the address it confirms)."""
    now = utcnow()
    result = await session.execute(
        update(OneTimeToken)
        .where(
            OneTimeToken.token_hash == token_hash,
            OneTimeToken.purpose == "change_email",
            OneTimeToken.used_at.is_(None),
            OneTimeToken.expires_at > now,
        )
        .values(used_at=now)
        .returning(OneTimeToken.user_id, OneTimeToken.new_email)
    )
    row = result.one_or_none()
    return (row[0], row[1]) if row is not None and row[1] else None


async def consume_one_time_token(
    session: AsyncSession, purpose: str, token_hash: bytes
) -> uuid.UUID | None:
    """Mark an unused, unexpired token used and return its user id (atomic, single use)."""
    now = utcnow()
    result = await session.execute(
        update(OneTimeToken)
        .where(
            OneTimeToken.token_hash == token_hash,
            OneTimeToken.purpose == purpose,
            OneTimeToken.used_at.is_(None),
            OneTimeToken.expires_at > now,
        )
        .values(used_at=now)
        .returning(OneTimeToken.user_id)
    )
    user_id: uuid.UUID | None = result.scalar_one_or_none()
    return user_id


async def spend_all_tokens(session: AsyncSession, user_id: uuid.UUID, purpose: str) -> None:
    """Invalidate every outstanding token of a purpose (a reset ends older reset links)."""
    await session.execute(
        update(OneTimeToken)
        .where(
            OneTimeToken.user_id == user_id,
            OneTimeToken.purpose == purpose,
            OneTimeToken.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )


async def delete_tokens_expired_before(session: AsyncSession, cutoff: datetime) -> int:
    """Delete one-time tokens (verification, reset links) that expired before `cutoff`;
    returns how many."""
    result = await session.execute(delete(OneTimeToken).where(OneTimeToken.expires_at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
