"""Proving who owns an account: verification and email-change links, password reset and change.

Each flow mails a one-time link (a token of its purpose: `VERIFY`, `RESET`, `CHANGE_EMAIL`,
stored hashed) and trusts the address or the new password only when the link comes back.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.auth.crypto import new_token, token_hash
from taskflow.auth.db import OUTBOX, utcnow
from taskflow.auth.deps import AuthContext
from taskflow.auth.errors import InvalidCredentials, InvalidOneTimeToken
from taskflow.auth.passwords.policy import password_problems
from taskflow.auth.pats import repository as pats
from taskflow.auth.sessions import repository as sessions
from taskflow.auth.users import repository
from taskflow.auth.users.models import User
from taskflow.common.errors import Conflict, Unprocessable
from taskflow.common.logging import get_logger
from taskflow.events.contracts.base import FieldChange
from taskflow.events.contracts.users import (
    UserEmailChangeRequested,
    UserPasswordResetRequested,
    UserUpdated,
    UserVerificationRequested,
)

log = get_logger(__name__)

VERIFY = "verify_email"
RESET = "password_reset"
CHANGE_EMAIL = "change_email"


def check_password(password: str, *, field: str, email: str | None = None) -> None:
    """422 naming `field` when the password breaks the policy (the value is never echoed)."""
    problems = password_problems(password, email=email)
    if problems:
        raise Unprocessable(
            "The password does not meet the policy.",
            code="weak_password",
            errors=[
                {"loc": ["body", field], "msg": f"Password {p}.", "type": "weak_password"}
                for p in problems
            ],
        )


def _updated_event(user: User, changes: dict[str, FieldChange]) -> UserUpdated:
    return UserUpdated(
        user_id=user.id,
        changes=changes,
        email=user.email,
        display_name=user.display_name,
        timezone=user.timezone,
        locale=user.locale,
        email_verified=user.email_verified_at is not None,
        roles=list(user.roles),
        is_active=user.is_active,
    )


async def request_verification(db: AsyncSession, ctx: AuthContext, user: User) -> None:
    """Issue a verification link (single use, hashed, expiring) as an event for the mailer."""
    token = new_token()
    expires = utcnow() + timedelta(seconds=ctx.settings.verify_email_ttl_seconds)
    await repository.add_one_time_token(db, user.id, VERIFY, token_hash(token), expires)
    base = ctx.settings.public_base_url.rstrip("/")
    await OUTBOX.add(
        db,
        UserVerificationRequested(
            user_id=user.id,
            email=user.email,
            display_name=user.display_name,
            verify_url=f"{base}/verify-email?token={token}",
            expires_at=expires,
        ),
        actor_id=user.id,
    )


async def verify_email(db: AsyncSession, token: str) -> User:
    """Mark the email verified; the link works once."""
    user_id = await repository.consume_one_time_token(db, VERIFY, token_hash(token))
    user = await repository.get(db, user_id, for_update=True) if user_id else None
    if user is None:
        raise InvalidOneTimeToken()
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        user.version += 1
        await OUTBOX.add(
            db,
            _updated_event(user, {"email_verified": FieldChange(before=False, after=True)}),
            actor_id=user.id,
        )
    return user


async def request_email_change(
    db: AsyncSession, ctx: AuthContext, user: User, current_password: str, new_email: str
) -> None:
    """Mail a confirmation link to `new_email` and a notice to the current address.

    The current password is required: a stolen session alone must not move the account to
    another mailbox. Nothing changes until the link is used. An address that belongs to
    another account gets nothing and the answer is the same, so this cannot probe which
    addresses are registered; a new request makes the older links useless.
    """
    if not await ctx.hasher.verify(user.password_hash, current_password):
        raise InvalidCredentials()
    if new_email == user.email:
        raise Unprocessable(
            "That is already your address.",
            code="same_email",
            errors=[
                {
                    "loc": ["body", "new_email"],
                    "msg": "is already the account's address",
                    "type": "same_email",
                }
            ],
        )
    if await repository.get_by_email(db, new_email) is not None:
        log.info("email_change_to_taken_address", user_id=str(user.id))
        return
    if not await ctx.may_send_mail("change_email", new_email):
        log.info("email_change_mail_suppressed", user_id=str(user.id))
        return
    await repository.spend_all_tokens(db, user.id, CHANGE_EMAIL)
    token = new_token()
    expires = utcnow() + timedelta(seconds=ctx.settings.verify_email_ttl_seconds)
    await repository.add_one_time_token(
        db, user.id, CHANGE_EMAIL, token_hash(token), expires, new_email=new_email
    )
    base = ctx.settings.public_base_url.rstrip("/")
    await OUTBOX.add(
        db,
        UserEmailChangeRequested(
            user_id=user.id,
            email=new_email,
            old_email=user.email,
            display_name=user.display_name,
            confirm_url=f"{base}/confirm-email?token={token}",
            expires_at=expires,
        ),
        actor_id=user.id,
    )


async def confirm_email_change(db: AsyncSession, token: str) -> User:
    """Move the account to the address the mailed link confirms; sessions stay.

    Following the link proves the new address is the user's, so it is verified at once. An
    address taken by another account since the request answers 409 and changes nothing.
    """
    found = await repository.consume_email_change(db, token_hash(token))
    user = await repository.get(db, found[0], for_update=True) if found else None
    if found is None or user is None or not user.is_active:
        raise InvalidOneTimeToken()
    new_email = found[1]
    before, was_verified = user.email, user.email_verified_at is not None
    if await repository.get_by_email(db, new_email) is not None:
        raise Conflict("The address belongs to another account now.", code="email_taken")
    user.email = new_email
    user.email_verified_at = utcnow()
    user.version += 1
    try:
        async with db.begin_nested():
            await db.flush()
    except IntegrityError:
        raise Conflict("The address belongs to another account now.", code="email_taken") from None
    changes = {"email": FieldChange(before=before, after=new_email)}
    if not was_verified:
        changes["email_verified"] = FieldChange(before=False, after=True)
    await OUTBOX.add(db, _updated_event(user, changes), actor_id=user.id)
    return user


async def forgot_password(db: AsyncSession, ctx: AuthContext, email: str) -> None:
    """Send a reset link if the account exists (run after the 202 went out, see the router)."""
    user = await repository.get_by_email(db, email)
    if user is not None:
        await send_reset_link(db, ctx, user)


async def send_reset_link(db: AsyncSession, ctx: AuthContext, user: User) -> None:
    """Issue a reset link (single use, hashed, expiring) as an event for the mailer, at most
    one per address per `mail_interval_seconds`; nothing for a deactivated account."""
    if not user.is_active:
        return
    if not await ctx.may_send_mail("reset", user.email):
        log.info("reset_mail_suppressed", user_id=str(user.id))
        return
    token = new_token()
    expires = utcnow() + timedelta(seconds=ctx.settings.password_reset_ttl_seconds)
    await repository.add_one_time_token(db, user.id, RESET, token_hash(token), expires)
    base = ctx.settings.public_base_url.rstrip("/")
    await OUTBOX.add(
        db,
        UserPasswordResetRequested(
            user_id=user.id,
            email=user.email,
            display_name=user.display_name,
            reset_url=f"{base}/reset-password?token={token}",
            expires_at=expires,
        ),
        actor_id=None,
    )


async def reset_password(db: AsyncSession, ctx: AuthContext, token: str, new_password: str) -> None:
    """Set a new password from a reset link; ends every session, every personal access token
    (whoever needed a reset may have lost the password to someone who made one) and the other
    links."""
    user_id = await repository.consume_one_time_token(db, RESET, token_hash(token))
    user = await repository.get(db, user_id, for_update=True) if user_id else None
    if user is None or not user.is_active:
        raise InvalidOneTimeToken()
    check_password(new_password, field="new_password", email=user.email)
    await _set_password(db, ctx, user, new_password)
    await repository.spend_all_tokens(db, user.id, RESET)
    await sessions.revoke(db, user_id=user.id, reason="password_reset")
    await pats.revoke_all(db, user.id)
    # Whoever reads the reset mail also proved they own the address.
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        user.version += 1
        await db.flush()
        await OUTBOX.add(
            db,
            _updated_event(user, {"email_verified": FieldChange(before=False, after=True)}),
            actor_id=user.id,
        )


async def change_password(
    db: AsyncSession,
    ctx: AuthContext,
    user: User,
    current_session: uuid.UUID | None,
    current_password: str,
    new_password: str,
    *,
    keep_api_tokens: bool = False,
) -> int:
    """Change the password (current one required); ends every other session and, unless the
    caller chose to keep them, every personal access token."""
    if not await ctx.hasher.verify(user.password_hash, current_password):
        raise InvalidCredentials()
    check_password(new_password, field="new_password", email=user.email)
    await _set_password(db, ctx, user, new_password)
    if not keep_api_tokens:
        await pats.revoke_all(db, user.id)
    return await sessions.revoke(
        db, user_id=user.id, except_session=current_session, reason="password_change"
    )


async def _set_password(db: AsyncSession, ctx: AuthContext, user: User, password: str) -> None:
    user.password_hash = await ctx.hasher.hash(password)
    user.password_changed_at = utcnow()
    await db.flush()
