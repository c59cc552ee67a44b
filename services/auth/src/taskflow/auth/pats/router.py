"""Routes: personal access tokens and their exchange for access tokens."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from taskflow.auth.auth import InteractiveCaller
from taskflow.auth.deps import Ctx
from taskflow.auth.errors import InteractiveSessionRequired, InvalidGrant
from taskflow.auth.pats import service
from taskflow.auth.pats.schemas import (
    AccessToken,
    PatCreate,
    PatCreated,
    PatList,
    PatRead,
    TokenExchange,
)
from taskflow.common.db import SessionDep
from taskflow.common.errors import InvalidToken, NotFound, Unprocessable, errors
from taskflow.common.scopes import Scope
from taskflow.common.security import public, require_scope

router = APIRouter(prefix="/api/v1/auth", tags=["tokens"])


@router.post(
    "/tokens",
    dependencies=[require_scope(Scope.ACCOUNT_WRITE)],
    operation_id="tokens_create",
    status_code=status.HTTP_201_CREATED,
    response_model=PatCreated,
    responses=errors(InvalidToken, InteractiveSessionRequired, Unprocessable),
)
async def create_token(
    body: PatCreate, caller: InteractiveCaller, db: SessionDep, ctx: Ctx, response: Response
) -> PatCreated:
    """Create a personal access token; the token is in this answer only."""
    row, token = await service.create(db, ctx, caller.user, body)
    response.headers["Cache-Control"] = "no-store"
    return PatCreated(**PatRead.model_validate(row).model_dump(), token=token)


@router.get(
    "/tokens",
    dependencies=[require_scope(Scope.ACCOUNT_READ)],
    operation_id="tokens_list",
    response_model=PatList,
    responses=errors(InvalidToken, InteractiveSessionRequired),
)
async def list_tokens(caller: InteractiveCaller, db: SessionDep) -> PatList:
    """The caller's personal access tokens (without the secret)."""
    rows = await service.list_tokens(db, caller.user.id)
    return PatList(items=[PatRead.model_validate(r) for r in rows])


@router.delete(
    "/tokens/{token_id}",
    dependencies=[require_scope(Scope.ACCOUNT_WRITE)],
    operation_id="tokens_revoke",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=errors(InvalidToken, InteractiveSessionRequired, NotFound),
)
async def revoke_token(token_id: uuid.UUID, caller: InteractiveCaller, db: SessionDep) -> Response:
    """Revoke one of the caller's personal access tokens."""
    if not await service.revoke(db, caller.user.id, token_id):
        raise NotFound("No such token.")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/token",
    dependencies=[public("the personal access token is the credential")],
    operation_id="tokens_exchange",
    response_model=AccessToken,
    responses=errors(InvalidGrant, Unprocessable),
)
async def exchange(
    body: TokenExchange, db: SessionDep, ctx: Ctx, response: Response
) -> AccessToken:
    """Exchange a personal access token for a short-lived access token with its scopes."""
    minted, scope = await service.exchange(db, ctx, body.token)
    response.headers["Cache-Control"] = "no-store"
    return AccessToken(access_token=minted.token, expires_in=minted.expires_in, scope=scope)
