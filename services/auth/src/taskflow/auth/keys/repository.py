"""SQL of signing keys: the published and the active one, the creation lock, rotation, purge."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.auth.keys.models import SigningKey

#: Any 64-bit number; it names the "create the first key" critical section across replicas.
_FIRST_KEY_LOCK = 0x7461736B666C6F77  # "taskflow"


async def published(session: AsyncSession, now: datetime) -> list[SigningKey]:
    """Keys not retired at `now`, newest first."""
    rows = await session.scalars(
        select(SigningKey)
        .where(or_(SigningKey.retire_after.is_(None), SigningKey.retire_after > now))
        .order_by(SigningKey.created_at.desc())
    )
    return list(rows)


async def active(session: AsyncSession) -> SigningKey | None:
    """The one key not rotated yet, if any."""
    found: SigningKey | None = await session.scalar(
        select(SigningKey).where(SigningKey.rotated_at.is_(None))
    )
    return found


async def lock_key_creation(session: AsyncSession) -> None:
    """Wait for the transaction-scoped lock that serialises creating and rotating keys."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _FIRST_KEY_LOCK})


async def retire_active(session: AsyncSession, now: datetime, retire_after: datetime) -> None:
    """Mark the active key rotated at `now`, published until `retire_after`."""
    await session.execute(
        update(SigningKey)
        .where(SigningKey.rotated_at.is_(None))
        .values(rotated_at=now, retire_after=retire_after)
    )


async def delete_retired_before(session: AsyncSession, cutoff: datetime) -> int:
    """Delete keys retired before `cutoff`; returns how many."""
    result = await session.execute(delete(SigningKey).where(SigningKey.retire_after < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
