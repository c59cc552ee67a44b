"""Request and response bodies for accounts and profiles."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

if TYPE_CHECKING:
    from taskflow.auth.users.models import User

SystemRole = Literal["admin", "auditor", "user"]

_LOCALE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$")
_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,252}\.[^@\s]{1,63}$")


def normalise_email(value: str) -> str:
    """Emails are compared and stored lower-case and trimmed."""
    return value.strip().lower()


def _email(value: str) -> str:
    value = normalise_email(value)
    if not _EMAIL_RE.match(value):
        raise ValueError("is not a valid email address")
    return value


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("is not a known IANA time zone") from None
    return value


def _locale(value: str) -> str:
    if not _LOCALE_RE.match(value):
        raise ValueError("is not a locale tag such as 'en' or 'de-CH'")
    return value


Email = Annotated[str, StringConstraints(min_length=3, max_length=254), AfterValidator(_email)]
#: Bounded for the wire; the policy (12..128, not common) is checked by the service with a
#: message that names the field.
Password = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
TimeZoneName = Annotated[str, StringConstraints(max_length=64), AfterValidator(_timezone)]
Locale = Annotated[str, StringConstraints(max_length=16), AfterValidator(_locale)]
OneTimeTokenStr = Annotated[str, StringConstraints(min_length=16, max_length=256)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterRequest(_In):
    email: Email
    password: Password
    display_name: DisplayName


class VerifyEmailRequest(_In):
    token: OneTimeTokenStr


class ForgotPasswordRequest(_In):
    email: Email


class ResetPasswordRequest(_In):
    token: OneTimeTokenStr
    new_password: Password


class ChangePasswordRequest(_In):
    current_password: Password
    new_password: Password
    keep_api_tokens: bool = Field(
        default=False,
        description="Keep the personal access tokens working (by default a change revokes them,"
        " as a reset always does).",
    )


class EmailChangeRequest(_In):
    """A new address for the caller; it changes only when the link mailed there is used."""

    new_email: Email
    current_password: Password


class ConfirmEmailChangeRequest(_In):
    token: OneTimeTokenStr


class UserMeUpdate(_In):
    """Profile fields a user may change themselves (all optional)."""

    display_name: DisplayName | None = None
    timezone: TimeZoneName | None = None
    locale: Locale | None = None


class UserAdminUpdate(_In):
    """What an admin may change on any account."""

    roles: list[SystemRole] | None = Field(default=None, min_length=1, max_length=3)
    is_active: bool | None = None


class UserPublic(BaseModel):
    """The public profile other services and pickers see."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str | None = Field(
        description="Null unless the caller may see it: their own, that of someone who shares a"
        " project with them, or any for admins."
    )
    display_name: str
    timezone: str
    locale: str
    is_active: bool


class UserRead(UserPublic):
    """The full account, for its owner and for admins."""

    email: str  # always shown: the owner's or an admin's view

    email_verified: bool
    roles: list[SystemRole]
    mfa_enabled: bool
    created_at: datetime
    updated_at: datetime
    last_login_at: datetime | None
    version: int


class UserListItem(UserPublic):
    """A search result: the public profile, plus account fields for admins only (null else)."""

    email_verified: bool | None = None
    roles: list[SystemRole] | None = None
    mfa_enabled: bool | None = None
    created_at: datetime | None = None
    last_login_at: datetime | None = None


class Accepted(BaseModel):
    """A request taken; nothing more is said (no account enumeration)."""

    status: Literal["accepted"] = "accepted"


def to_read(user: User) -> UserRead:
    return UserRead(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        timezone=user.timezone,
        locale=user.locale,
        is_active=user.is_active,
        email_verified=user.email_verified_at is not None,
        roles=list(user.roles),
        mfa_enabled=user.mfa_enabled,
        created_at=user.created_at,
        updated_at=user.updated_at,
        last_login_at=user.last_login_at,
        version=user.version,
    )
