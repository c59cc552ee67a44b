"""Bodies for login, MFA login, refresh and the sessions list."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from taskflow.auth.users.schemas import Email, Password

OpaqueToken = Annotated[str, StringConstraints(min_length=16, max_length=256)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=32)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginRequest(_In):
    email: Email
    password: Password
    #: Browser mode: the refresh token goes into an httpOnly cookie instead of the body.
    #: The header `X-Auth-Mode: cookie` does the same.
    cookie: bool = False


class MfaLoginRequest(_In):
    mfa_token: OpaqueToken
    code: Code = Field(description="A 6-digit TOTP code or one recovery code.")


class RefreshRequest(_In):
    """Body mode sends the token; cookie mode sends an empty body (or none)."""

    refresh_token: OpaqueToken | None = None


class TokenPair(BaseModel):
    """A signed-in session's tokens. `refresh_token` is null in cookie mode."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")
    refresh_token: str | None = None
    refresh_expires_at: datetime
    session_id: uuid.UUID


class MfaRequired(BaseModel):
    """The password was right; a second factor is due at `/auth/login/mfa`."""

    mfa_required: Literal[True] = True
    mfa_token: str
    expires_in: int


class SessionRead(BaseModel):
    """One signed-in device."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    device: str | None = Field(description="The user agent that signed in.")
    ip: str | None
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    mfa: bool
    current: bool


class SessionList(BaseModel):
    items: list[SessionRead]


class RevokedCount(BaseModel):
    revoked: int
