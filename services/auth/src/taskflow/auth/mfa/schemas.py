"""Bodies for TOTP setup, confirmation and disabling."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from taskflow.auth.users.schemas import Password

TotpCode = Annotated[str, StringConstraints(min_length=6, max_length=8, pattern=r"^[0-9 ]+$")]
AnyCode = Annotated[str, StringConstraints(min_length=1, max_length=32)]


class TotpSetup(BaseModel):
    """The new secret, shown once, to put into an authenticator app."""

    secret: str
    otpauth_uri: str


class TotpConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: TotpCode


class RecoveryCodes(BaseModel):
    """Ten single-use codes, shown once."""

    recovery_codes: list[str]


class TotpDisable(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: Password
    code: AnyCode
