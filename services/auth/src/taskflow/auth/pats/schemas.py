"""Bodies for personal access tokens and the token exchange."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema

from taskflow.common.scopes import SCOPE_DESCRIPTIONS, Scope, parse_scope


def _known_scope(value: str) -> Scope:
    """A scope of the vocabulary; the error names the unknown one (422 at `scopes[i]`)."""
    scope = parse_scope(value)
    if scope is None:
        raise ValueError(
            f"unknown scope {value[:64]!r}; known scopes: {', '.join(s.value for s in Scope)}"
        )
    return scope


#: A scope of `taskflow.common.scopes.Scope`. Validated by hand rather than as an enum so that
#: the 422 names the scope that was refused.
ScopeName = Annotated[
    str,
    StringConstraints(max_length=64),
    AfterValidator(_known_scope),
    WithJsonSchema(
        {
            "type": "string",
            "enum": [s.value for s in Scope],
            "description": " ".join(f"`{s}`: {d}" for s, d in SCOPE_DESCRIPTIONS.items()),
        }
    ),
]


class PatCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    scopes: list[ScopeName] = Field(min_length=1, max_length=32)
    expires_at: datetime | None = Field(
        default=None, description="When it stops working; at most `pat_max_ttl_days` ahead."
    )


class PatRead(BaseModel):
    """A token as listed (never the token itself)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    expires_at: datetime | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class PatCreated(PatRead):
    """The new token, shown this once."""

    token: str


class PatList(BaseModel):
    items: list[PatRead]


class TokenExchange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grant_type: Literal["personal_access_token"]
    token: Annotated[str, StringConstraints(min_length=16, max_length=256)]


class AccessToken(BaseModel):
    """A short-lived access token carrying the personal access token's scopes."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int
    scope: str
