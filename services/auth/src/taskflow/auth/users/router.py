"""Routes: registration and password flows (`/api/v1/auth`), profiles (`/api/v1/users`)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Response, status

from taskflow.auth.auth import AdminSessionCaller, AnyCaller, Caller, InteractiveCaller
from taskflow.auth.deps import AuthContext, Ctx
from taskflow.auth.errors import (
    InteractiveSessionRequired,
    InvalidCredentials,
    InvalidOneTimeToken,
)
from taskflow.auth.users import service
from taskflow.auth.users.models import User
from taskflow.auth.users.schemas import (
    Accepted,
    ChangePasswordRequest,
    ConfirmEmailChangeRequest,
    EmailChangeRequest,
    ForgotPasswordRequest,
    RegisterRequest,
    ResetPasswordRequest,
    UserAdminUpdate,
    UserListItem,
    UserMeUpdate,
    UserPublic,
    UserRead,
    VerifyEmailRequest,
    normalise_email,
    to_read,
)
from taskflow.common.concurrency import IfMatch, check_version, set_etag
from taskflow.common.db import SessionDep
from taskflow.common.errors import (
    Conflict,
    Forbidden,
    InvalidToken,
    NotFound,
    PreconditionFailed,
    Unprocessable,
    errors,
)
from taskflow.common.logging import get_logger
from taskflow.common.pagination import Page, PageParamsDep
from taskflow.common.scopes import Scope
from taskflow.common.security import public, require_scope

log = get_logger(__name__)

accounts = APIRouter(prefix="/api/v1/auth", tags=["accounts"])
users_router = APIRouter(prefix="/api/v1/users", tags=["users"])


@accounts.post(
    "/register",
    dependencies=[public("anyone may open an account")],
    operation_id="auth_register",
    status_code=status.HTTP_201_CREATED,
    response_model=UserRead,
    responses=errors(Unprocessable),
)
async def register(body: RegisterRequest, db: SessionDep, ctx: Ctx) -> UserRead:
    """Create an account; a verification link is mailed (the same answer for a taken email)."""
    return to_read(await service.register(db, ctx, body))


@accounts.post(
    "/verify-email",
    dependencies=[public("the mailed one-time token is the credential")],
    operation_id="auth_verify_email",
    response_model=UserPublic,
    responses=errors(InvalidOneTimeToken, Unprocessable),
)
async def verify_email(body: VerifyEmailRequest, db: SessionDep) -> UserPublic:
    """Confirm an email address with the mailed token."""
    return UserPublic.model_validate(await service.verify_email(db, body.token))


@accounts.post(
    "/verify-email/resend",
    dependencies=[require_scope(Scope.ACCOUNT_WRITE)],
    operation_id="auth_verify_email_resend",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses=errors(InvalidToken),
)
async def resend_verification(caller: AnyCaller, db: SessionDep, ctx: Ctx) -> Accepted:
    """Mail a new verification link to the caller (no-op once verified)."""
    if caller.user.email_verified_at is None and await ctx.may_send_mail(
        "verify", caller.user.email
    ):
        await service.request_verification(db, ctx, caller.user)
    return Accepted()


@accounts.post(
    "/email/confirm",
    dependencies=[public("the mailed one-time token is the credential")],
    operation_id="auth_email_change_confirm",
    response_model=UserPublic,
    responses=errors(InvalidOneTimeToken, Conflict, Unprocessable),
)
async def confirm_email_change(body: ConfirmEmailChangeRequest, db: SessionDep) -> UserPublic:
    """Move the account to the address the mailed link was sent to; sessions stay."""
    return UserPublic.model_validate(await service.confirm_email_change(db, body.token))


@accounts.post(
    "/password/forgot",
    dependencies=[public("for people who cannot sign in")],
    operation_id="auth_password_forgot",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses=errors(Unprocessable),
)
async def forgot_password(
    body: ForgotPasswordRequest, ctx: Ctx, background: BackgroundTasks
) -> Accepted:
    """Mail a reset link if the account exists (the answer is the same either way)."""
    # The look-up and the writes run after the 202 is sent, so the answer's timing cannot
    # tell a registered address from an unknown one.
    background.add_task(_forgot_password, ctx, body.email)
    return Accepted()


async def _forgot_password(ctx: AuthContext, email: str) -> None:
    try:
        async with ctx.sessionmaker() as db, db.begin():
            await service.forgot_password(db, ctx, email)
    except Exception as exc:
        # The client already has its 202; operators must still see it. Only the type: a
        # database error's text carries the statement's parameters (a token hash).
        log.error("password_forgot_failed", error=type(exc).__name__)


@accounts.post(
    "/password/reset",
    dependencies=[public("the mailed one-time token is the credential")],
    operation_id="auth_password_reset",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=errors(InvalidOneTimeToken, Unprocessable),
)
async def reset_password(body: ResetPasswordRequest, db: SessionDep, ctx: Ctx) -> Response:
    """Set a new password with the mailed token; every session and API token ends."""
    await service.reset_password(db, ctx, body.token, body.new_password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@accounts.post(
    "/password/change",
    dependencies=[require_scope(Scope.ACCOUNT_WRITE)],
    operation_id="auth_password_change",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=errors(InvalidToken, InvalidCredentials, InteractiveSessionRequired, Unprocessable),
)
async def change_password(
    body: ChangePasswordRequest, caller: InteractiveCaller, db: SessionDep, ctx: Ctx
) -> Response:
    """Change the password; the caller's other sessions end, and its API tokens unless kept."""
    await service.change_password(
        db,
        ctx,
        caller.user,
        caller.session_id,
        body.current_password,
        body.new_password,
        keep_api_tokens=body.keep_api_tokens,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@users_router.get(
    "/me",
    dependencies=[require_scope(Scope.ACCOUNT_READ)],
    operation_id="users_get_me",
    response_model=UserRead,
    responses=errors(InvalidToken),
)
async def get_me(caller: AnyCaller, response: Response) -> UserRead:
    """The caller's own account."""
    set_etag(response, caller.user.version)
    return to_read(caller.user)


@users_router.patch(
    "/me",
    dependencies=[require_scope(Scope.ACCOUNT_WRITE)],
    operation_id="users_update_me",
    response_model=UserRead,
    responses=errors(InvalidToken, PreconditionFailed, Unprocessable),
)
async def update_me(
    body: UserMeUpdate, caller: AnyCaller, db: SessionDep, response: Response, if_match: IfMatch
) -> UserRead:
    """Change display name, time zone or locale."""
    check_version(caller.user, if_match)
    user = await service.update_me(db, caller.user, body)
    await db.refresh(user)
    set_etag(response, user.version)
    return to_read(user)


@users_router.post(
    "/me/email",
    dependencies=[require_scope(Scope.ACCOUNT_WRITE)],
    operation_id="users_change_email",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses=errors(InvalidToken, InvalidCredentials, InteractiveSessionRequired, Unprocessable),
)
async def change_email(
    body: EmailChangeRequest, caller: InteractiveCaller, db: SessionDep, ctx: Ctx
) -> Accepted:
    """Ask to change the caller's address (current password required): a link goes to the new
    address, a notice to the current one; the address changes when the link is used."""
    await service.request_email_change(db, ctx, caller.user, body.current_password, body.new_email)
    return Accepted()


@users_router.delete(
    "/me",
    dependencies=[require_scope(Scope.ACCOUNT_WRITE)],
    operation_id="users_deactivate_me",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=errors(InvalidToken, InteractiveSessionRequired),
)
async def deactivate_me(caller: InteractiveCaller, db: SessionDep) -> Response:
    """Deactivate the caller's account; every session and token ends."""
    await service.deactivate(db, caller.user, actor_id=caller.user.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@users_router.get(
    "",
    dependencies=[require_scope(Scope.ACCOUNT_READ)],
    operation_id="users_list",
    response_model=Page[UserListItem],
    responses=errors(InvalidToken, Unprocessable),
)
async def list_users(
    caller: AnyCaller,
    db: SessionDep,
    page: PageParamsDep,
    email: Annotated[str | None, Query(max_length=254)] = None,
    q: Annotated[str | None, Query(min_length=2, max_length=100)] = None,
) -> Page[UserListItem]:
    """Find users by email or name: admins among everyone (with account fields), anyone else
    among themselves and the people who share a project with them (the project pickers)."""
    is_admin = _is_admin(caller)
    if not is_admin and not email and not q:
        raise Unprocessable(
            "Give `email` or `q` (listing everyone is for admins).",
            code="filter_required",
            errors=[{"loc": ["query", "q"], "msg": "email or q is required", "type": "missing"}],
        )
    result = await service.search(
        db,
        email=normalise_email(email) if email else None,
        q=q,
        page=page,
        sharing_with=None if is_admin else caller.user.id,
    )
    return Page[UserListItem](
        items=[_list_item(u, admin=is_admin) for u in result.items],
        next_cursor=result.next_cursor,
    )


def _list_item(user: User, *, admin: bool) -> UserListItem:
    extra: dict[str, Any] = {}
    if admin:
        extra = {
            "email_verified": user.email_verified_at is not None,
            "roles": list(user.roles),
            "mfa_enabled": user.mfa_enabled,
            "created_at": user.created_at,
            "last_login_at": user.last_login_at,
        }
    return UserListItem(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        timezone=user.timezone,
        locale=user.locale,
        is_active=user.is_active,
        **extra,
    )


@users_router.get(
    "/{user_id}",
    dependencies=[require_scope(Scope.ACCOUNT_READ)],
    operation_id="users_get",
    response_model=UserPublic,
    responses=errors(InvalidToken, NotFound),
)
async def get_user(user_id: uuid.UUID, caller: AnyCaller, db: SessionDep) -> UserPublic:
    """A user's public profile; the email only for oneself, co-members and admins."""
    user = await service.get_user(db, user_id)
    profile = UserPublic.model_validate(user)
    visible = await service.emails_visible_to(
        db, caller.user.id, admin=_is_admin(caller), user_ids={user.id}
    )
    return profile if user.id in visible else profile.model_copy(update={"email": None})


def _is_admin(caller: Caller) -> bool:
    """The token acts as admin (role and `admin` scope) and the account, as it is now, is one.

    An admin's `account:read` script token is not an admin token: no account fields, no
    search over everyone."""
    return caller.principal.acts_as("admin") and "admin" in caller.user.roles


@users_router.patch(
    "/{user_id}",
    dependencies=[require_scope(Scope.ADMIN)],
    operation_id="users_admin_update",
    response_model=UserRead,
    responses=errors(
        InvalidToken,
        Forbidden,
        InteractiveSessionRequired,
        NotFound,
        Conflict,
        PreconditionFailed,
        Unprocessable,
    ),
)
async def admin_update_user(
    user_id: uuid.UUID,
    body: UserAdminUpdate,
    caller: AdminSessionCaller,
    db: SessionDep,
    response: Response,
    if_match: IfMatch,
) -> UserRead:
    """Change roles or the active flag of an account (admin)."""
    if if_match is not None:
        check_version(await service.get_user(db, user_id), if_match)
    user = await service.admin_update(db, caller.user.id, user_id, body)
    await db.refresh(user)
    set_etag(response, user.version)
    return to_read(user)
