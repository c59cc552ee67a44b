"""Routes: TOTP enrolment, confirmation (recovery codes) and disabling."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from taskflow.auth.auth import InteractiveCaller
from taskflow.auth.deps import Ctx
from taskflow.auth.errors import (
    InteractiveSessionRequired,
    InvalidCredentials,
    InvalidMfaCode,
    MfaAlreadyEnabled,
    MfaNotEnabled,
)
from taskflow.auth.mfa import service
from taskflow.auth.mfa.schemas import RecoveryCodes, TotpConfirm, TotpDisable, TotpSetup
from taskflow.common.db import SessionDep
from taskflow.common.errors import InvalidToken, Unprocessable, errors
from taskflow.common.scopes import Scope
from taskflow.common.security import require_scope

router = APIRouter(prefix="/api/v1/auth/mfa/totp", tags=["mfa"])


@router.post(
    "/setup",
    dependencies=[require_scope(Scope.ACCOUNT_WRITE)],
    operation_id="mfa_totp_setup",
    response_model=TotpSetup,
    responses=errors(InvalidToken, InteractiveSessionRequired, MfaAlreadyEnabled),
)
async def setup(caller: InteractiveCaller, ctx: Ctx, response: Response) -> TotpSetup:
    """Start TOTP enrolment: a new secret for an authenticator app (not active until confirmed)."""
    secret, uri = await service.setup(ctx, caller.user)
    response.headers["Cache-Control"] = "no-store"
    return TotpSetup(secret=secret, otpauth_uri=uri)


@router.post(
    "/confirm",
    dependencies=[require_scope(Scope.ACCOUNT_WRITE)],
    operation_id="mfa_totp_confirm",
    response_model=RecoveryCodes,
    responses=errors(
        InvalidToken, InvalidMfaCode, InteractiveSessionRequired, MfaAlreadyEnabled, Unprocessable
    ),
)
async def confirm(
    body: TotpConfirm, caller: InteractiveCaller, db: SessionDep, ctx: Ctx, response: Response
) -> RecoveryCodes:
    """Turn TOTP on with a first code; returns ten single-use recovery codes, shown once."""
    codes = await service.confirm(db, ctx, caller.user, body.code)
    response.headers["Cache-Control"] = "no-store"
    return RecoveryCodes(recovery_codes=codes)


@router.post(
    "/disable",
    dependencies=[require_scope(Scope.ACCOUNT_WRITE)],
    operation_id="mfa_totp_disable",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=errors(
        InvalidToken,
        InvalidCredentials,
        InvalidMfaCode,
        InteractiveSessionRequired,
        MfaNotEnabled,
        Unprocessable,
    ),
)
async def disable(
    body: TotpDisable, caller: InteractiveCaller, db: SessionDep, ctx: Ctx
) -> Response:
    """Turn TOTP off (password and a current or recovery code required)."""
    await service.disable(db, ctx, caller.user, body.password, body.code)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
