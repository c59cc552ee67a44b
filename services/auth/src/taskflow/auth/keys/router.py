"""Route: the JWK set every service verifies tokens against."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel

from taskflow.auth.deps import Ctx
from taskflow.auth.keys.service import jwks_document, published_keys
from taskflow.common.db import SessionDep
from taskflow.common.security import public

router = APIRouter(prefix="/api/v1/auth/.well-known", tags=["keys"])


class Jwks(BaseModel):
    """RFC 7517 JWK set (public RSA keys)."""

    keys: list[dict[str, Any]]


@router.get(
    "/jwks.json",
    dependencies=[public("verifiers fetch the public keys")],
    operation_id="keys_jwks",
    response_model=Jwks,
)
async def jwks(db: SessionDep, response: Response, ctx: Ctx) -> Jwks:
    """The public signing keys: the active one and rotated ones whose tokens may still be live."""
    # Short cache; verifiers also re-fetch when they meet an unknown kid after a rotation.
    response.headers["Cache-Control"] = "public, max-age=60"
    published = await published_keys(db)
    if not published:
        # A fresh system: make the first key now (committed in its own transaction), so that
        # a verifier fetching before the first sign-in does not cache an empty set. A key
        # this process still caches is not published any more: forget it.
        ctx.minter.forget()
        await ctx.minter.ensure_key()
        published = await published_keys(db)
    return Jwks.model_validate(jwks_document(published))
