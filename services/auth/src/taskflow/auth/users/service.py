"""Account rules: registration, verification, password reset/change, profile, admin changes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.auth.crypto import new_token, token_hash
from taskflow.auth.db import new_id, outbox, utcnow
from taskflow.auth.deps import AuthContext
from taskflow.auth.errors import InvalidCredentials, InvalidOneTimeToken
from taskflow.auth.memberships import repository as memberships
from taskflow.auth.passwords.policy import password_problems
from taskflow.auth.pats import repository as pats
from taskflow.auth.sessions import repository as sessions
from taskflow.auth.users import repository
from taskflow.auth.users.models import User
from taskflow.auth.users.schemas import RegisterRequest, UserAdminUpdate, UserMeUpdate
from taskflow.common.errors import Conflict, NotFound, Unprocessable
from taskflow.common.logging import get_logger
from taskflow.events.contracts.base import FieldChange
from taskflow.events.contracts.users import (
    UserDeactivated,
    UserEmailChangeRequested,
    UserPasswordResetRequested,
    UserRegistered,
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


async def register(db: AsyncSession, ctx: AuthContext, body: RegisterRequest) -> User:
    """Create an account and send the verification link (through the outbox).

    An address that already has an account gets the same 201 and a user of the same shape
    (not stored, its id leads nowhere), so the answer does not tell whether the address is
    registered. Its owner is mailed a password-reset link instead, the useful answer for
    someone who forgot they had an account. Both paths check the policy and hash the
    password, so they also cost about the same.
    """
    check_password(body.password, field="password", email=body.email)
    password_hash = await ctx.hasher.hash(body.password)
    existing = await repository.get_by_email(db, body.email)
    if existing is None:
        user = User(
            email=body.email,
            display_name=body.display_name,
            password_hash=password_hash,
            roles=["user"],
            timezone="UTC",
            locale="en",
            is_active=True,
            mfa_enabled=False,
            version=1,
        )
        try:
            async with db.begin_nested():
                db.add(user)
                await db.flush()
        except IntegrityError:
            # Registered by a concurrent request a moment ago: answer as for a taken address.
            existing = await repository.get_by_email(db, body.email)
        else:
            await outbox.add(
                db,
                UserRegistered(
                    user_id=user.id,
                    email=user.email,
                    display_name=user.display_name,
                    timezone=user.timezone,
                    locale=user.locale,
                    email_verified=False,
                    roles=["user"],
                ),
                actor_id=user.id,
            )
            await request_verification(db, ctx, user)
            await db.refresh(user)
            return user
    if existing is not None:
        log.info("register_existing_address", user_id=str(existing.id))
        await send_reset_link(db, ctx, existing)
    now = utcnow()
    return User(
        id=new_id(),
        email=body.email,
        display_name=body.display_name,
        roles=["user"],
        timezone="UTC",
        locale="en",
        is_active=True,
        mfa_enabled=False,
        email_verified_at=None,
        created_at=now,
        updated_at=now,
        last_login_at=None,
        version=1,
    )


async def request_verification(db: AsyncSession, ctx: AuthContext, user: User) -> None:
    """Issue a verification link (single use, hashed, expiring) as an event for the mailer."""
    token = new_token()
    expires = utcnow() + timedelta(seconds=ctx.settings.verify_email_ttl_seconds)
    await repository.add_one_time_token(db, user.id, VERIFY, token_hash(token), expires)
    base = ctx.settings.public_base_url.rstrip("/")
    await outbox.add(
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
        await outbox.add(
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
    await outbox.add(
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
    await outbox.add(db, _updated_event(user, changes), actor_id=user.id)
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
    await outbox.add(
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
        await outbox.add(
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


async def update_me(db: AsyncSession, user: User, changes: UserMeUpdate) -> User:
    """Change one's own profile fields; `user.updated` carries the diff."""
    diff: dict[str, FieldChange] = {}
    for name, value in changes.model_dump(exclude_unset=True).items():
        if value is None:
            continue
        before = getattr(user, name)
        if before != value:
            diff[name] = FieldChange(before=before, after=value)
            setattr(user, name, value)
    if diff:
        user.version += 1
        await db.flush()
        await outbox.add(db, _updated_event(user, diff), actor_id=user.id)
    return user


async def deactivate(
    db: AsyncSession, user: User, *, actor_id: uuid.UUID, reason: str = "deactivated"
) -> None:
    """Deactivate an account: sessions and personal access tokens end with it."""
    if not user.is_active:
        return
    user.is_active = False
    user.version += 1
    await sessions.revoke(db, user_id=user.id, reason=reason)
    await pats.revoke_all(db, user.id)
    await db.flush()
    await outbox.add(db, UserDeactivated(user_id=user.id), actor_id=actor_id)


async def get_user(db: AsyncSession, user_id: uuid.UUID) -> User:
    """A user by id or 404."""
    user = await repository.get(db, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


async def search(
    db: AsyncSession,
    *,
    email: str | None,
    q: str | None,
    after: Any,
    limit: int,
    sharing_with: uuid.UUID | None,
) -> Sequence[User]:
    """Search users by exact email or a substring of email / display name.

    `sharing_with` (every caller but an admin) limits the search to that user and the people
    who share a project with them: an address nobody shares a project with is found the same
    way as one that has no account, which is not at all.
    """
    return await repository.search(
        db, email=email, q=q, after=after, limit=limit, sharing_with=sharing_with
    )


async def emails_visible_to(
    db: AsyncSession, caller_id: uuid.UUID, *, admin: bool, user_ids: set[uuid.UUID]
) -> set[uuid.UUID]:
    """Whose email (of `user_ids`) the caller may see: their own, co-members', all for admins."""
    if admin:
        return set(user_ids)
    others = user_ids - {caller_id}
    return (user_ids & {caller_id}) | await memberships.sharing_with(db, caller_id, others)


async def admin_update(
    db: AsyncSession, admin_id: uuid.UUID, user_id: uuid.UUID, changes: UserAdminUpdate
) -> User:
    """Change roles or the active flag of an account (admins only; not on oneself)."""
    user = await repository.get(db, user_id, for_update=True)
    if user is None:
        raise NotFound("No such user.")
    if user.id == admin_id:
        # Keeps the last admin from locking everyone out by accident.
        raise Conflict(
            "Admins cannot change their own roles or deactivate themselves.",
            code="cannot_change_self",
        )
    diff: dict[str, FieldChange] = {}
    old_roles = list(user.roles)
    if changes.roles is not None:
        roles = sorted(set(changes.roles))
        if roles != sorted(user.roles):
            diff["roles"] = FieldChange(before=sorted(user.roles), after=roles)
            user.roles = list(roles)
    if changes.is_active is False and user.is_active:
        await deactivate(db, user, actor_id=admin_id, reason="admin")
    elif changes.is_active is True and not user.is_active:
        user.is_active = True
        diff["is_active"] = FieldChange(before=False, after=True)
    if diff:
        user.version += 1
        await db.flush()
        await outbox.add(db, _updated_event(user, diff), actor_id=admin_id)
        if set(old_roles) - set(user.roles):
            # Tokens carry roles: a refresh re-reads them, but a removed role must not live on
            # for the rest of a session, so the user signs in again.
            await sessions.revoke(db, user_id=user.id, reason="roles_changed")
        log.info("user_admin_updated", user_id=str(user.id), fields=sorted(diff))
    return user


async def create_or_promote(
    db: AsyncSession, ctx: AuthContext, *, email: str, password: str, role: str
) -> tuple[User, bool]:
    """`create-admin`: create a verified account with `role`, or give an existing one that role."""
    user = await repository.get_by_email(db, email, for_update=True)
    if user is None:
        check_password(password, field="password", email=email)
        user = User(
            email=email,
            display_name=email.split("@", 1)[0][:100],
            password_hash=await ctx.hasher.hash(password),
            roles=sorted({"user", role}),
            timezone="UTC",
            locale="en",
            is_active=True,
            mfa_enabled=False,
            email_verified_at=utcnow(),
            version=1,
        )
        db.add(user)
        await db.flush()
        await outbox.add(
            db,
            UserRegistered(
                user_id=user.id,
                email=user.email,
                display_name=user.display_name,
                email_verified=True,
                roles=list(user.roles),
            ),
            actor_id=None,
        )
        return user, True
    roles = sorted({*user.roles, role})
    diff: dict[str, FieldChange] = {}
    if roles != sorted(user.roles):
        diff["roles"] = FieldChange(before=sorted(user.roles), after=roles)
        user.roles = roles
    if not user.is_active:
        user.is_active = True
        diff["is_active"] = FieldChange(before=False, after=True)
    if diff:
        user.version += 1
        await db.flush()
        await outbox.add(db, _updated_event(user, diff), actor_id=None)
    return user, False
