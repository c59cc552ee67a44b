"""Access-token verification (RS256 against auth's JWKS) and authorization dependencies.

Only auth signs tokens; every service verifies them locally. The verifier is strict on
purpose: one algorithm pinned (RS256), headers that let a token choose its own key refused
(`jku`, `jwk`, `x5u`, `x5c`, `crit`), `exp/iat/sub/iss/aud` required, `typ == "access"`, and a
size cap checked before any parsing. Every failure is the same 401 `invalid_token` so that a
caller cannot learn which check failed.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Protocol

import httpx
from fastapi import Depends, Request
from jose import jwk, jwt
from jose.backends.base import Key

from taskflow.common.errors import Forbidden, InvalidToken, Unauthorized
from taskflow.common.logging import get_logger

log = get_logger(__name__)

MAX_TOKEN_BYTES = 8 * 1024
ALGORITHM = "RS256"
FORBIDDEN_HEADERS = frozenset({"jku", "jwk", "x5u", "x5c", "crit"})
LEEWAY_SECONDS = 30


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the verified claims of an access token."""

    user_id: uuid.UUID
    roles: frozenset[str] = field(default_factory=frozenset)
    scopes: frozenset[str] = field(default_factory=frozenset)
    session_id: str | None = None
    token_id: str | None = None

    def has_role(self, *roles: str) -> bool:
        """True when the principal holds at least one of `roles`."""
        return any(r in self.roles for r in roles)

    def has_scope(self, scope: str) -> bool:
        """True when the principal's scopes include `scope` or the wildcard `*`."""
        return "*" in self.scopes or scope in self.scopes


class KeySource(Protocol):
    """Where verification keys come from, by `kid`."""

    async def get(self, kid: str, *, refresh: bool = False) -> Key | None:
        """The key for `kid`; with `refresh`, reload the set first (the source may rate-limit)."""
        ...


def _usable_keys(jwks: Mapping[str, Any]) -> dict[str, Key]:
    """The RSA signing keys of a JWK set by kid; anything else is ignored."""
    out: dict[str, Key] = {}
    keys = jwks.get("keys")
    if not isinstance(keys, list):
        return out
    for entry in keys:
        if not isinstance(entry, dict):
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str) or entry.get("kty") != "RSA":
            continue
        if entry.get("use", "sig") != "sig" or entry.get("alg", ALGORITHM) != ALGORITHM:
            continue
        if "d" in entry:  # a private key published by mistake: never use it
            continue
        try:
            out[kid] = jwk.construct(entry, ALGORITHM)
        except Exception:  # noqa: S112 - a broken key in the set must not break the others
            continue
    return out


class StaticKeySource:
    """A fixed JWK set (tests, and auth itself when it verifies its own tokens)."""

    def __init__(self, jwks: Mapping[str, Any]) -> None:
        self._keys = _usable_keys(jwks)

    async def get(self, kid: str, *, refresh: bool = False) -> Key | None:
        return self._keys.get(kid)


class JWKSKeySource:
    """Keys fetched from a JWKS URL, cached for `ttl` seconds.

    An unknown `kid` forces one refresh (auth rotated its key), but at most once every
    `min_refresh_interval` seconds, so that a flood of tokens with made-up kids cannot turn
    into a flood of requests to auth.
    """

    def __init__(
        self,
        url: str,
        *,
        ttl: float = 300.0,
        min_refresh_interval: float = 10.0,
        client: httpx.AsyncClient | None = None,
        timeout: float = 3.0,
    ) -> None:
        self.url = url
        self.ttl = ttl
        self.min_refresh_interval = min_refresh_interval
        self._client = client
        self._own_client = client is None
        self._timeout = timeout
        self._keys: dict[str, Key] = {}
        self._fetched_at: float | None = None
        self._last_attempt = float("-inf")
        self._lock = asyncio.Lock()
        self.fetches = 0

    async def _fetch(self) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout)
        self._last_attempt = time.monotonic()
        self.fetches += 1
        try:
            resp = await self._client.get(self.url, timeout=self._timeout)
            resp.raise_for_status()
            data = resp.json()
        except (httpx.HTTPError, ValueError) as exc:
            # Keep serving the keys we have: auth being briefly away must not log everyone out.
            log.warning("jwks_fetch_failed", error_type=type(exc).__name__)
            return
        self._keys = _usable_keys(data if isinstance(data, dict) else {})
        self._fetched_at = time.monotonic()

    async def get(self, kid: str, *, refresh: bool = False) -> Key | None:
        now = time.monotonic()
        stale = self._fetched_at is None or now - self._fetched_at > self.ttl
        if stale or (refresh and kid not in self._keys):
            async with self._lock:
                now = time.monotonic()
                stale = self._fetched_at is None or now - self._fetched_at > self.ttl
                wanted = stale or kid not in self._keys
                if wanted and now - self._last_attempt >= self.min_refresh_interval:
                    await self._fetch()
        return self._keys.get(kid)

    async def aclose(self) -> None:
        if self._own_client and self._client is not None:
            await self._client.aclose()
            self._client = None


class TokenVerifier:
    """Verifies access tokens and turns them into a `Principal`."""

    def __init__(
        self,
        key_source: KeySource,
        *,
        issuer: str,
        audience: str,
        leeway: int = LEEWAY_SECONDS,
        max_token_bytes: int = MAX_TOKEN_BYTES,
    ) -> None:
        self.key_source = key_source
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.max_token_bytes = max_token_bytes

    async def verify(self, token: str) -> Principal:
        """The principal of a valid access token; `InvalidToken` (401) for anything else."""
        try:
            return await self._verify(token)
        except InvalidToken:
            raise
        except Exception as exc:
            # Any parser error is a bad token; log its kind (never the token) for operators.
            log.info("token_rejected", reason=type(exc).__name__)
            raise InvalidToken() from None

    async def _verify(self, token: str) -> Principal:
        if len(token) > self.max_token_bytes or len(token.encode()) > self.max_token_bytes:
            raise _reject("too_large")
        header = jwt.get_unverified_header(token)
        if header.get("alg") != ALGORITHM:
            raise _reject("alg")
        if FORBIDDEN_HEADERS & set(header):
            raise _reject("header")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise _reject("kid")
        key = await self.key_source.get(kid)
        if key is None:
            key = await self.key_source.get(kid, refresh=True)
        if key is None:
            raise _reject("unknown_kid")
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=self.audience,
            issuer=self.issuer,
            options={
                "require_exp": True,
                "require_iat": True,
                "require_sub": True,
                "require_iss": True,
                "require_aud": True,
                "verify_at_hash": False,
                "leeway": self.leeway,
            },
        )
        now = time.time()
        iat = claims.get("iat")
        if not isinstance(iat, int | float) or iat > now + self.leeway:
            raise _reject("iat")
        nbf = claims.get("nbf")
        if nbf is not None and (not isinstance(nbf, int | float) or nbf > now + self.leeway):
            raise _reject("nbf")
        if claims.get("typ") != "access":
            raise _reject("typ")
        try:
            user_id = uuid.UUID(str(claims["sub"]))
        except ValueError:
            raise _reject("sub") from None
        roles = claims.get("roles", [])
        scope = claims.get("scope", "")
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise _reject("roles")
        if not isinstance(scope, str):
            raise _reject("scope")
        sid = claims.get("sid")
        jti = claims.get("jti")
        return Principal(
            user_id=user_id,
            roles=frozenset(roles),
            scopes=frozenset(scope.split()),
            session_id=sid if isinstance(sid, str) else None,
            token_id=jti if isinstance(jti, str) else None,
        )


def _reject(reason: str) -> InvalidToken:
    log.info("token_rejected", reason=reason)
    return InvalidToken()


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer` header, None when there is no such header."""
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def get_principal(request: Request) -> Principal:
    """Dependency: the verified caller, or 401 (`not_authenticated` / `invalid_token`)."""
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    token = bearer_token(request)
    if token is None:
        raise Unauthorized("A bearer access token is required.")
    verifier: TokenVerifier = request.app.state.verifier
    principal = await verifier.verify(token)
    request.state.principal = principal
    return principal


async def get_optional_principal(request: Request) -> Principal | None:
    """Dependency: the caller when a token is sent (401 if it is bad), else None."""
    if request.headers.get("authorization") is None:
        return None
    return await get_principal(request)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
OptionalPrincipal = Annotated[Principal | None, Depends(get_optional_principal)]


def require_roles(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    """Dependency factory: the caller must hold one of `roles` (else 403 `forbidden`)."""

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if not principal.has_role(*roles):
            raise Forbidden("You do not have the role this needs.")
        return principal

    return dependency


def require_scopes(*scopes: str) -> Callable[[Principal], Awaitable[Principal]]:
    """Dependency factory: the caller's token must carry every scope in `scopes` (or `*`)."""

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if not all(principal.has_scope(s) for s in scopes):
            raise Forbidden("The token lacks a scope this needs.", code="insufficient_scope")
        return principal

    return dependency
