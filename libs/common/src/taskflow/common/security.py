"""Access-token verification (RS256 against auth's JWKS) and authorization dependencies.

Only auth signs tokens; every service verifies them locally. The verifier is strict on
purpose: one algorithm pinned (RS256), headers that let a token choose its own key refused
(`jku`, `jwk`, `x5u`, `x5c`, `crit`), `exp/iat/sub/iss/aud` required, `typ == "access"`, and a
size cap checked before any parsing. Every failure is the same 401 `invalid_token` so that a
caller cannot learn which check failed.

Scopes: every route declares the scopes a token must carry with `require_scope(...)` (or
`public(reason)` for the few routes that take no token); a token without them gets 403
`insufficient_scope` naming the missing scopes, before any role or membership check runs.
The declarations are read back from the app (`route_scopes`) to document each operation in
OpenAPI and to test every route. There is no wildcard scope: a token carries what it names.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from jose import jwt
from starlette.requests import HTTPConnection

from taskflow.common.errors import Forbidden, InvalidToken, Unauthorized
from taskflow.common.key_sources import JWKSKeySource as JWKSKeySource
from taskflow.common.key_sources import KeySource as KeySource
from taskflow.common.key_sources import StaticKeySource as StaticKeySource
from taskflow.common.logging import get_logger
from taskflow.common.scopes import Scope

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
        """True when the token carries `scope` (there is no wildcard)."""
        return scope in self.scopes

    def acts_as(self, role: str) -> bool:
        """True when the principal holds `role` and the token carries that role's power scope.

        For checks inside a route that widen what a role sees (an admin sees more of a
        profile): an admin's script token made with `account:read` is not an admin token.
        """
        power = ROLE_POWER_SCOPES.get(role)
        return self.has_role(role) and (power is None or self.has_scope(power))


#: The scope a token must carry for its role to count inside a route (`Principal.acts_as`).
ROLE_POWER_SCOPES: Mapping[str, Scope] = {"admin": Scope.ADMIN, "auditor": Scope.AUDIT_READ}


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


def bearer_token(request: HTTPConnection) -> str | None:
    """The token of an `Authorization: Bearer` header, None when there is no such header."""
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def get_principal(request: HTTPConnection) -> Principal:
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


#: A caller with the system role `admin` (403 for anyone else); the one name for it everywhere.
AdminPrincipal = Annotated[Principal, Depends(require_roles("admin"))]


class InsufficientScope(Forbidden):
    """403: the token does not carry a scope the route declares (RFC 6750 section 3.1)."""

    default_code = "insufficient_scope"

    def __init__(self, missing: Iterable[str]) -> None:
        names = sorted(missing)
        listed = ", ".join(f"`{n}`" for n in names)
        super().__init__(
            f"This needs the scope {listed}, which the token does not carry.",
            required_scopes=names,
            headers={
                "WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{" ".join(names)}"'
            },
        )


@dataclass(frozen=True, slots=True)
class ScopeRequirement:
    """What a route needs from a token; declared once per route, read back by `route_scopes`.

    `scopes` must all be carried. An empty set with a `public_reason` is a route that takes no
    token at all (sign-in, the JWK set, a secret feed URL). `in_band` is for a WebSocket that
    authenticates with its first message: the handshake cannot be checked, so the dependency
    hands the requirement to the handler, which calls `check` on each token it receives.
    """

    scopes: frozenset[Scope]
    public_reason: str | None = None
    in_band: bool = False

    @property
    def is_public(self) -> bool:
        return not self.scopes

    def missing(self, principal: Principal) -> list[str]:
        """The declared scopes the principal's token lacks."""
        return sorted(str(s) for s in self.scopes if not principal.has_scope(s))

    def check(self, principal: Principal) -> Principal:
        """The principal, or 403 `insufficient_scope` naming what its token lacks."""
        missing = self.missing(principal)
        if missing:
            log.info("insufficient_scope", required=missing)
            raise InsufficientScope(missing)
        return principal

    async def __call__(self, connection: HTTPConnection) -> ScopeRequirement:
        if self.scopes and not self.in_band:
            self.check(await get_principal(connection))
        return self


def require_scope(*scopes: Scope) -> Any:
    """Declare the scopes a route needs: `dependencies=[require_scope(Scope.TASKS_WRITE)]`.

    On a router (`APIRouter(dependencies=[...])`) it covers every route of that router. The
    check runs before the route's other dependencies, so a token without the scope learns
    nothing about the resource (not even whether it exists).
    """
    if not scopes:
        raise ValueError("require_scope needs at least one scope; use public(reason) for none")
    return Depends(ScopeRequirement(frozenset(Scope(s) for s in scopes)))


def public(reason: str) -> Any:
    """Declare a route that takes no token, and say why (it becomes the OpenAPI text)."""
    if not reason.strip():
        raise ValueError("a public route says why it is public")
    return Depends(ScopeRequirement(frozenset(), public_reason=reason))


def in_band_scope(*scopes: Scope) -> ScopeRequirement:
    """Declare the scopes of a WebSocket that authenticates in its first message.

    Use as `need: Annotated[ScopeRequirement, Depends(in_band_scope(Scope.X))]` and call
    `need.check(principal)` for every token the socket receives.
    """
    if not scopes:
        raise ValueError("in_band_scope needs at least one scope")
    return ScopeRequirement(frozenset(Scope(s) for s in scopes), in_band=True)


@dataclass(frozen=True, slots=True)
class RouteScope:
    """One route of an app and the scope declarations found on it."""

    kind: str  # "http", "websocket" or "other"
    path: str
    methods: tuple[str, ...]
    name: str
    include_in_schema: bool
    declarations: tuple[ScopeRequirement, ...]

    @property
    def requirement(self) -> ScopeRequirement | None:
        """The combined declaration (all scopes of all declarations); None when undeclared."""
        if not self.declarations:
            return None
        scopes = frozenset().union(*(d.scopes for d in self.declarations))
        reasons = [d.public_reason for d in self.declarations if d.public_reason]
        return ScopeRequirement(
            scopes,
            public_reason=None if scopes else (reasons[0] if reasons else None),
            in_band=any(d.in_band for d in self.declarations),
        )


def _declarations(dependant: Any) -> tuple[ScopeRequirement, ...]:
    if dependant is None:
        return ()
    return tuple(d.call for d in dependant.dependencies if isinstance(d.call, ScopeRequirement))


def route_scopes(app: FastAPI) -> list[RouteScope]:
    """Every route of `app` with its scope declarations (FastAPI's own docs pages excluded)."""
    docs = {app.openapi_url, app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url}
    out: list[RouteScope] = []
    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        path = ctx.path or ""
        if isinstance(route, APIRoute):
            kind = "http"
        elif isinstance(route, APIWebSocketRoute):
            kind = "websocket"
        else:
            if path in docs:
                continue
            kind = "other"
        out.append(
            RouteScope(
                kind=kind,
                path=path,
                methods=tuple(sorted(ctx.methods or ())),
                name=ctx.name or "",
                include_in_schema=bool(getattr(ctx, "include_in_schema", False)),
                declarations=_declarations(getattr(ctx, "dependant", None)),
            )
        )
    return out
