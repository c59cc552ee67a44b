"""Account rules: registration, profile, deactivation, look-ups and admin changes.

The one-time-link flows (verification, email change, password reset and change) are in
`credentials.py`; they are re-exported here, so callers keep one place to call.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.auth.db import OUTBOX, new_id, utcnow
from taskflow.auth.deps import AuthContext
from taskflow.auth.memberships import repository as memberships
from taskflow.auth.pats import repository as pats
from taskflow.auth.sessions import repository as sessions
from taskflow.auth.users import repository
from taskflow.auth.users.credentials import CHANGE_EMAIL as CHANGE_EMAIL
from taskflow.auth.users.credentials import RESET as RESET
from taskflow.auth.users.credentials import VERIFY as VERIFY
from taskflow.auth.users.credentials import _updated_event
from taskflow.auth.users.credentials import change_password as change_password
from taskflow.auth.users.credentials import check_password as check_password
from taskflow.auth.users.credentials import confirm_email_change as confirm_email_change
from taskflow.auth.users.credentials import forgot_password as forgot_password
from taskflow.auth.users.credentials import request_email_change as request_email_change
from taskflow.auth.users.credentials import request_verification as request_verification
from taskflow.auth.users.credentials import reset_password as reset_password
from taskflow.auth.users.credentials import send_reset_link as send_reset_link
from taskflow.auth.users.credentials import verify_email as verify_email
from taskflow.auth.users.models import User
from taskflow.auth.users.schemas import RegisterRequest, UserAdminUpdate, UserMeUpdate
from taskflow.common.errors import Conflict, NotFound
from taskflow.common.logging import get_logger
from taskflow.common.pagination import Page, PageParams
from taskflow.events.contracts.base import FieldChange
from taskflow.events.contracts.users import (
    UserDeactivated,
    UserRegistered,
)

log = get_logger(__name__)


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
            await OUTBOX.add(
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
        await OUTBOX.add(db, _updated_event(user, diff), actor_id=user.id)
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
    await OUTBOX.add(db, UserDeactivated(user_id=user.id), actor_id=actor_id)


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
    page: PageParams,
    sharing_with: uuid.UUID | None,
) -> Page[Any]:
    """Search users by exact email or a substring of email / display name.

    `sharing_with` (every caller but an admin) limits the search to that user and the people
    who share a project with them: an address nobody shares a project with is found the same
    way as one that has no account, which is not at all.
    """
    return await repository.search(db, email=email, q=q, page=page, sharing_with=sharing_with)


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
        await OUTBOX.add(db, _updated_event(user, diff), actor_id=admin_id)
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
        await OUTBOX.add(
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
        await OUTBOX.add(db, _updated_event(user, diff), actor_id=None)
    return user, False
