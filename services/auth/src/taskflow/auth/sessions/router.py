"""Routes: login (+ MFA), refresh, logout and the caller's sessions."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Body, Request, Response, status

from taskflow.auth.auth import AnyCaller, InteractiveCaller
from taskflow.auth.deps import Client, Ctx
from taskflow.auth.errors import (
    CsrfFailed,
    InteractiveSessionRequired,
    InvalidCredentials,
    InvalidMfaCode,
    InvalidRefreshToken,
)
from taskflow.auth.sessions import cookies, service
from taskflow.auth.sessions.schemas import (
    LoginRequest,
    MfaLoginRequest,
    MfaRequired,
    RefreshRequest,
    RevokedCount,
    SessionList,
    SessionRead,
    TokenPair,
)
from taskflow.common.db import SessionDep
from taskflow.common.errors import (
    InvalidToken,
    NotFound,
    ServiceUnavailable,
    TooManyRequests,
    Unprocessable,
    errors,
)
from taskflow.common.scopes import Scope
from taskflow.common.security import public, require_scope

router = APIRouter(prefix="/api/v1/auth", tags=["sessions"])


def _pair(issued: service.IssuedTokens, response: Response, ctx: Ctx) -> TokenPair:
    if issued.cookie_mode:
        cookies.set_refresh_cookies(
            response, ctx.settings, issued.refresh_token, issued.refresh_expires_at
        )
    response.headers["Cache-Control"] = "no-store"
    return TokenPair(
        access_token=issued.access.token,
        expires_in=issued.access.expires_in,
        refresh_token=None if issued.cookie_mode else issued.refresh_token,
        refresh_expires_at=issued.refresh_expires_at,
        session_id=issued.session_id,
    )


@router.post(
    "/login",
    dependencies=[public("signing in is how a token is obtained")],
    operation_id="auth_login",
    response_model=TokenPair | MfaRequired,
    responses=errors(InvalidCredentials, TooManyRequests, Unprocessable, ServiceUnavailable),
)
async def login(
    body: LoginRequest,
    request: Request,
    response: Response,
    db: SessionDep,
    ctx: Ctx,
    client: Client,
) -> TokenPair | MfaRequired:
    """Sign in with email and password (browser mode: `X-Auth-Mode: cookie` or `cookie: true`)."""
    cookie_mode = cookies.wants_cookie_mode(request, body.cookie)
    outcome = await service.login(
        db, ctx, client, email=body.email, password=body.password, cookie_mode=cookie_mode
    )
    if isinstance(outcome, service.MfaChallengeIssued):
        response.headers["Cache-Control"] = "no-store"
        return MfaRequired(mfa_token=outcome.token, expires_in=outcome.expires_in)
    return _pair(outcome, response, ctx)


@router.post(
    "/login/mfa",
    dependencies=[public("the MFA challenge token is the credential")],
    operation_id="auth_login_mfa",
    response_model=TokenPair,
    responses=errors(InvalidMfaCode, TooManyRequests, Unprocessable, ServiceUnavailable),
)
async def login_mfa(
    body: MfaLoginRequest, response: Response, db: SessionDep, ctx: Ctx, client: Client
) -> TokenPair:
    """Finish a sign-in with a TOTP code or a recovery code."""
    issued = await service.login_mfa(db, ctx, client, mfa_token=body.mfa_token, code=body.code)
    return _pair(issued, response, ctx)


@router.post(
    "/refresh",
    dependencies=[public("the refresh token is the credential")],
    operation_id="auth_refresh",
    response_model=TokenPair,
    responses=errors(InvalidRefreshToken, CsrfFailed, Unprocessable),
)
async def refresh(
    request: Request,
    response: Response,
    db: SessionDep,
    ctx: Ctx,
    client: Client,
    body: RefreshRequest | None = Body(default=None),
) -> TokenPair:
    """Swap a refresh token for new tokens (single use; a reused one ends the session)."""
    token = body.refresh_token if body is not None else None
    via_cookie = token is None
    if via_cookie:
        token = request.cookies.get(cookies.REFRESH_COOKIE)
        if not token:
            raise InvalidRefreshToken()
        cookies.check_csrf(request, ctx.settings)
    assert token is not None
    issued = await service.refresh(db, ctx, client, token=token, via_cookie=via_cookie)
    return _pair(issued, response, ctx)


@router.post(
    "/logout",
    dependencies=[require_scope(Scope.ACCOUNT_WRITE)],
    operation_id="auth_logout",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=errors(InvalidToken),
)
async def logout(caller: AnyCaller, db: SessionDep, ctx: Ctx) -> Response:
    """End the current session and clear the browser-mode cookies."""
    if caller.session_id is not None:
        await service.revoke_session(db, caller.user.id, caller.session_id)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    cookies.clear_refresh_cookies(response, ctx.settings)
    return response


@router.get(
    "/sessions",
    dependencies=[require_scope(Scope.ACCOUNT_READ)],
    operation_id="sessions_list",
    response_model=SessionList,
    responses=errors(InvalidToken, InteractiveSessionRequired),
)
async def list_sessions(caller: InteractiveCaller, db: SessionDep) -> SessionList:
    """The caller's signed-in devices."""
    rows = await service.list_sessions(db, caller.user.id, caller.principal.session_id)
    return SessionList(
        items=[
            SessionRead(
                id=s.id,
                device=s.user_agent,
                ip=s.ip,
                created_at=s.created_at,
                last_used_at=s.last_used_at,
                expires_at=s.expires_at,
                mfa=s.mfa,
                current=current,
            )
            for s, current in rows
        ]
    )


@router.delete(
    "/sessions/{session_id}",
    dependencies=[require_scope(Scope.ACCOUNT_WRITE)],
    operation_id="sessions_revoke",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=errors(InvalidToken, InteractiveSessionRequired, NotFound),
)
async def revoke_session(
    session_id: uuid.UUID, caller: InteractiveCaller, db: SessionDep
) -> Response:
    """End one of the caller's sessions (404 for anyone else's)."""
    if not await service.revoke_session(db, caller.user.id, session_id):
        raise NotFound("No such session.")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/sessions/revoke-all",
    dependencies=[require_scope(Scope.ACCOUNT_WRITE)],
    operation_id="sessions_revoke_all",
    response_model=RevokedCount,
    responses=errors(InvalidToken, InteractiveSessionRequired),
)
async def revoke_all(
    caller: InteractiveCaller, db: SessionDep, keep_current: bool = False
) -> RevokedCount:
    """End every session of the caller (`keep_current=true` keeps this one)."""
    keep = caller.session_id if keep_current else None
    return RevokedCount(revoked=await service.revoke_all(db, caller.user.id, keep=keep))
