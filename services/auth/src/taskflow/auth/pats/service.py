"""Personal access tokens: create (shown once), list, revoke, exchange for an access token.

A PAT never is an access token itself: scripts exchange it at `/auth/token` for a 15-minute
JWT with the PAT's scopes and no `sid`, so every service keeps verifying one kind of token,
and a revoked PAT stops working within one access-token lifetime.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.auth.crypto import new_token, token_hash
from taskflow.auth.db import utcnow
from taskflow.auth.deps import AuthContext
from taskflow.auth.errors import InvalidGrant
from taskflow.auth.keys.service import MintedToken
from taskflow.auth.pats import repository
from taskflow.auth.pats.models import PersonalAccessToken
from taskflow.auth.pats.schemas import PatCreate
from taskflow.auth.users import repository as users
from taskflow.auth.users.models import User
from taskflow.common.errors import Unprocessable
from taskflow.common.scopes import format_scopes, scopes_for_roles

PAT_PREFIX = "tfp_"


async def create(
    db: AsyncSession, ctx: AuthContext, user: User, body: PatCreate
) -> tuple[PersonalAccessToken, str]:
    """A new token for the user; the plain token is returned once and only its hash kept.

    A token may carry only scopes the owner's roles allow (a user cannot make an `admin`
    token); the 422 names the first scope refused.
    """
    allowed = scopes_for_roles(user.roles)
    for index, scope in enumerate(body.scopes):
        if scope not in allowed:
            raise Unprocessable(
                f"Your roles do not allow the scope '{scope}'.",
                code="scope_not_allowed",
                errors=[
                    {
                        "loc": ["body", "scopes", index],
                        "msg": f"scope '{scope}' is not allowed for your roles",
                        "type": "value_error",
                    }
                ],
            )
    user_id = user.id
    now = utcnow()
    expires = body.expires_at
    if expires is not None:
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
        limit = now + timedelta(days=ctx.settings.pat_max_ttl_days)
        if expires <= now or expires > limit:
            raise Unprocessable(
                "expires_at must be in the future and within the allowed lifetime.",
                errors=[
                    {"loc": ["body", "expires_at"], "msg": "out of range", "type": "value_error"}
                ],
            )
    token = new_token(PAT_PREFIX)
    row = await repository.add(
        db,
        PersonalAccessToken(
            user_id=user_id,
            name=body.name,
            prefix=token[:12],
            token_hash=token_hash(token),
            scopes=sorted(set(body.scopes)),
            expires_at=expires,
        ),
    )
    return row, token


async def list_tokens(db: AsyncSession, user_id: uuid.UUID) -> Sequence[PersonalAccessToken]:
    return await repository.list_for(db, user_id)


async def revoke(db: AsyncSession, user_id: uuid.UUID, token_id: uuid.UUID) -> bool:
    return await repository.revoke(db, user_id, token_id)


async def exchange(db: AsyncSession, ctx: AuthContext, token: str) -> tuple[MintedToken, str]:
    """A short access token for a live PAT of an active user."""
    row = await repository.find(db, token_hash(token))
    now = utcnow()
    if (
        row is None
        or row.revoked_at is not None
        or (row.expires_at is not None and row.expires_at <= now)
    ):
        raise InvalidGrant()
    user = await users.get(db, row.user_id)
    if user is None or not user.is_active:
        raise InvalidGrant()
    row.last_used_at = now
    # Only the PAT's scopes, and of those only what the owner's roles allow now: a PAT made
    # by an admin who has since lost the role no longer carries `admin`, and scopes from
    # before the vocabulary existed are dropped.
    scope = format_scopes(set(row.scopes) & scopes_for_roles(user.roles))
    minted = await ctx.minter.mint(user_id=user.id, roles=user.roles, scope=scope, session_id=None)
    return minted, scope
