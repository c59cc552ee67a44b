"""SQL of two-factor authentication: recovery codes and the conditional UPDATEs that spend a
TOTP step or a recovery code exactly once.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.auth.mfa.models import RecoveryCode
from taskflow.auth.users.models import User


async def delete_recovery_codes(db: AsyncSession, user_id: uuid.UUID) -> None:
    """Drop every recovery code of the user."""
    await db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))


async def claim_totp_step(db: AsyncSession, user_id: uuid.UUID, step: int) -> bool:
    """Record `step` as the user's last TOTP step unless it (or a later one) was used."""
    result = await db.execute(
        update(User)
        .where(
            User.id == user_id,
            or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .returning(User.id)
        .execution_options(synchronize_session=False)
    )
    return result.scalar_one_or_none() is not None


async def spend_recovery_code(
    db: AsyncSession, user_id: uuid.UUID, code_hash: bytes, now: datetime
) -> bool:
    """Mark the unused recovery code with this hash used; False when there is none."""
    result = await db.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.code_hash == code_hash,
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .returning(RecoveryCode.id)
    )
    return result.scalar_one_or_none() is not None
