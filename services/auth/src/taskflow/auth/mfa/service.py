"""TOTP setup/confirm/disable, second-factor checks with replay protection, recovery codes."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from taskflow.auth.db import OUTBOX, utcnow
from taskflow.auth.deps import AuthContext
from taskflow.auth.errors import (
    InvalidCredentials,
    InvalidMfaCode,
    MfaAlreadyEnabled,
    MfaNotEnabled,
)
from taskflow.auth.mfa import repository, totp
from taskflow.auth.mfa.models import RecoveryCode
from taskflow.auth.users.models import User
from taskflow.events.contracts.base import FieldChange
from taskflow.events.contracts.users import UserMfaEnabled, UserUpdated


def _context(user_id: uuid.UUID) -> str:
    return f"totp:{user_id}"


def _code_mac(ctx: AuthContext, user_id: uuid.UUID, code: str) -> bytes:
    return ctx.box.mac(f"{user_id}:{totp.normalise_recovery_code(code)}")


async def setup(ctx: AuthContext, user: User) -> tuple[str, str]:
    """Start enrolment: a pending secret (encrypted) and its otpauth URI."""
    if user.mfa_enabled:
        raise MfaAlreadyEnabled("Two-factor authentication is already on.")
    secret = totp.new_secret()
    user.totp_pending_secret_enc = ctx.box.encrypt(secret.encode(), context=_context(user.id))
    return secret, totp.provisioning_uri(secret, user.email)


async def confirm(db: AsyncSession, ctx: AuthContext, user: User, code: str) -> list[str]:
    """Turn MFA on with a first valid code; returns the ten recovery codes (shown once)."""
    if user.mfa_enabled:
        raise MfaAlreadyEnabled("Two-factor authentication is already on.")
    if user.totp_pending_secret_enc is None:
        raise MfaNotEnabled("Start with /auth/mfa/totp/setup.", code="mfa_setup_required")
    secret = ctx.box.decrypt(user.totp_pending_secret_enc, context=_context(user.id)).decode()
    step = totp.match_step(secret, code)
    if step is None:
        raise InvalidMfaCode()
    user.totp_secret_enc = user.totp_pending_secret_enc
    user.totp_pending_secret_enc = None
    user.totp_last_step = step
    user.mfa_enabled = True
    user.version += 1
    await repository.delete_recovery_codes(db, user.id)
    codes = totp.new_recovery_codes()
    db.add_all(RecoveryCode(user_id=user.id, code_hash=_code_mac(ctx, user.id, c)) for c in codes)
    await db.flush()
    await OUTBOX.add(db, UserMfaEnabled(user_id=user.id), actor_id=user.id)
    return codes


async def disable(db: AsyncSession, ctx: AuthContext, user: User, password: str, code: str) -> None:
    """Turn MFA off; needs the password and a current code (or a recovery code)."""
    if not user.mfa_enabled:
        raise MfaNotEnabled("Two-factor authentication is off.")
    if not await ctx.hasher.verify(user.password_hash, password):
        raise InvalidCredentials()
    if not await verify_second_factor(db, ctx, user, code):
        raise InvalidMfaCode()
    user.mfa_enabled = False
    user.totp_secret_enc = None
    user.totp_pending_secret_enc = None
    user.version += 1
    await repository.delete_recovery_codes(db, user.id)
    await OUTBOX.add(
        db,
        UserUpdated(
            user_id=user.id,
            changes={"mfa_enabled": FieldChange(before=True, after=False)},
            email=user.email,
            display_name=user.display_name,
            timezone=user.timezone,
            locale=user.locale,
            email_verified=user.email_verified_at is not None,
            roles=list(user.roles),
            is_active=user.is_active,
        ),
        actor_id=user.id,
    )


async def verify_second_factor(db: AsyncSession, ctx: AuthContext, user: User, code: str) -> bool:
    """True for a fresh TOTP code (its step recorded) or an unused recovery code (spent).

    Both writes are conditional UPDATEs, so two requests racing with the same code cannot
    both win.
    """
    if user.totp_secret_enc is None:
        return False
    if totp.looks_like_totp(code):
        secret = ctx.box.decrypt(user.totp_secret_enc, context=_context(user.id)).decode()
        step = totp.match_step(secret, code)
        if step is None:
            return False
        won = await repository.claim_totp_step(db, user.id, step)
        if won:
            set_committed_value(user, "totp_last_step", step)
        return won
    return await repository.spend_recovery_code(
        db, user.id, _code_mac(ctx, user.id, code), utcnow()
    )
