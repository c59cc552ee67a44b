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
from taskflow.common.errors import Unprocessable

PAT_PREFIX = "tfp_"


async def create(
    db: AsyncSession, ctx: AuthContext, user_id: uuid.UUID, body: PatCreate
) -> tuple[PersonalAccessToken, str]:
    """A new token for the user; the plain token is returned once and only its hash kept."""
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
    scope = " ".join(row.scopes)
    minted = await ctx.minter.mint(user_id=user.id, roles=user.roles, scope=scope, session_id=None)
    return minted, scope
