"""SQL for sessions, refresh tokens and MFA challenges."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.auth.db import utcnow
from taskflow.auth.sessions.models import MfaChallenge, RefreshToken, Session


async def create_session(session: AsyncSession, row: Session) -> Session:
    """Insert a session."""
    session.add(row)
    await session.flush()
    return row


async def add_refresh_token(
    session: AsyncSession, session_id: uuid.UUID, token_hash: bytes, expires_at: datetime
) -> None:
    """Insert one refresh token of a family."""
    session.add(RefreshToken(session_id=session_id, token_hash=token_hash, expires_at=expires_at))
    await session.flush()


async def find_refresh_token(session: AsyncSession, token_hash: bytes) -> RefreshToken | None:
    """A refresh token by hash, whatever its state."""
    row: RefreshToken | None = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == token_hash)
    )
    return row


async def spend_refresh_token(session: AsyncSession, token_id: uuid.UUID) -> bool:
    """Mark a refresh token spent; False when someone spent it first (reuse or a race)."""
    result = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == token_id, RefreshToken.used_at.is_(None))
        .values(used_at=utcnow())
        .returning(RefreshToken.id)
    )
    return result.scalar_one_or_none() is not None


async def get_session(
    session: AsyncSession, session_id: uuid.UUID, *, for_update: bool = False
) -> Session | None:
    """A session by id."""
    stmt = select(Session).where(Session.id == session_id)
    if for_update:
        stmt = stmt.with_for_update()
    row: Session | None = await session.scalar(stmt)
    return row


async def list_active(session: AsyncSession, user_id: uuid.UUID) -> Sequence[Session]:
    """A user's sessions that are neither revoked nor expired, newest first."""
    now = utcnow()
    rows = await session.scalars(
        select(Session)
        .where(Session.user_id == user_id, Session.revoked_at.is_(None), Session.expires_at > now)
        .order_by(Session.last_used_at.desc(), Session.id)
        .limit(200)
    )
    return list(rows)


async def revoke(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    reason: str,
    session_id: uuid.UUID | None = None,
    except_session: uuid.UUID | None = None,
) -> int:
    """Revoke one session of a user, or all of them (optionally but one); returns how many."""
    stmt = (
        update(Session)
        .where(Session.user_id == user_id, Session.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
        .returning(Session.id)
    )
    if session_id is not None:
        stmt = stmt.where(Session.id == session_id)
    if except_session is not None:
        stmt = stmt.where(Session.id != except_session)
    result = await session.execute(stmt)
    return len(result.all())


async def add_challenge(session: AsyncSession, row: MfaChallenge) -> None:
    """Insert an MFA challenge."""
    session.add(row)
    await session.flush()


async def count_challenge_attempt(
    session: AsyncSession, token_hash: bytes, *, max_attempts: int, now: datetime
) -> tuple[uuid.UUID, uuid.UUID] | None:
    """Count one attempt on a live challenge, atomically; (challenge id, user id), or None
    when the challenge is unknown, spent, expired or out of attempts.

    One conditional UPDATE: parallel attempts are serialised by the row lock, so no more
    than `max_attempts` ever get through, however many arrive at once.
    """
    result = await session.execute(
        update(MfaChallenge)
        .where(
            MfaChallenge.token_hash == token_hash,
            MfaChallenge.used_at.is_(None),
            MfaChallenge.expires_at > now,
            MfaChallenge.attempts < max_attempts,
        )
        .values(attempts=MfaChallenge.attempts + 1)
        .returning(MfaChallenge.id, MfaChallenge.user_id)
    )
    row = result.one_or_none()
    return (row[0], row[1]) if row is not None else None


async def find_challenge(
    session: AsyncSession, token_hash: bytes, *, for_update: bool = False
) -> MfaChallenge | None:
    """An MFA challenge by token hash."""
    stmt = select(MfaChallenge).where(MfaChallenge.token_hash == token_hash)
    if for_update:
        stmt = stmt.with_for_update()
    row: MfaChallenge | None = await session.scalar(stmt)
    return row


async def spend_challenge(db: AsyncSession, challenge_id: uuid.UUID, now: datetime) -> bool:
    """Mark an unused MFA challenge used; False when it was spent already (a concurrent request)."""
    result = await db.execute(
        update(MfaChallenge)
        .where(MfaChallenge.id == challenge_id, MfaChallenge.used_at.is_(None))
        .values(used_at=now)
        .returning(MfaChallenge.id)
    )
    return result.scalar_one_or_none() is not None


async def delete_sessions_expired_before(session: AsyncSession, cutoff: datetime) -> int:
    """Delete sessions (their refresh tokens go with them) that expired before `cutoff`;
    returns how many."""
    result = await session.execute(delete(Session).where(Session.expires_at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def delete_sessions_revoked_before(session: AsyncSession, cutoff: datetime) -> int:
    """Delete sessions revoked before `cutoff`; returns how many."""
    result = await session.execute(delete(Session).where(Session.revoked_at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def delete_challenges_expired_before(session: AsyncSession, cutoff: datetime) -> int:
    """Delete MFA challenges that expired before `cutoff`; returns how many."""
    result = await session.execute(delete(MfaChallenge).where(MfaChallenge.expires_at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
