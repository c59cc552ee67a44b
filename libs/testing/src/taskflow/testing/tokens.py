"""RSA test keys, their JWKS and a factory for access tokens shaped like the auth service's.

Only the auth service signs tokens in production; the other services' tests need tokens their
verifier accepts (and variants it must refuse) without running auth, so they mint them here.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwt

from taskflow.common.jwk import rsa_public_jwk
from taskflow.common.scopes import format_scopes, scopes_for_roles

DEFAULT_ISSUER = "taskflow-auth"
DEFAULT_AUDIENCE = "taskflow"


@dataclass(frozen=True)
class RsaKey:
    """One RSA keypair with its key id, as PEM and as a public JWK."""

    kid: str
    private_pem: str
    public_pem: str
    public_jwk: dict[str, str]

    @classmethod
    def generate(cls, kid: str | None = None, bits: int = 2048) -> RsaKey:
        """Make a new keypair (about 50 ms for 2048 bits)."""
        kid = kid or f"test-{secrets.token_hex(4)}"
        key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        private_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")
        public = key.public_key()
        public_pem = public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")
        jwk = rsa_public_jwk(public, kid)
        return cls(kid=kid, private_pem=private_pem, public_pem=public_pem, public_jwk=jwk)


@dataclass(frozen=True)
class RsaKeys:
    """The session's keypairs: ``primary`` signs by default, ``secondary`` is for rotation tests."""

    keys: tuple[RsaKey, ...]

    @property
    def primary(self) -> RsaKey:
        return self.keys[0]

    @property
    def secondary(self) -> RsaKey:
        return self.keys[1]

    @property
    def jwks(self) -> dict[str, Any]:
        """The public JWKS document (``{"keys": [...]}``), no private material."""
        return {"keys": [dict(k.public_jwk) for k in self.keys]}

    def by_kid(self, kid: str) -> RsaKey:
        for key in self.keys:
            if key.kid == kid:
                return key
        raise KeyError(f"no test key with kid {kid!r}; known: {[k.kid for k in self.keys]}")

    @classmethod
    def generate(cls, count: int = 2) -> RsaKeys:
        return cls(keys=tuple(RsaKey.generate(f"test-key-{i + 1}") for i in range(count)))


def make_token(
    key: RsaKey,
    user_id: str | uuid.UUID | None = None,
    *,
    roles: Iterable[str] = ("user",),
    scopes: Iterable[str] | None = None,
    expires_in: int = 900,
    issuer: str = DEFAULT_ISSUER,
    audience: str = DEFAULT_AUDIENCE,
    typ: str = "access",
    session_id: str | uuid.UUID | None = None,
    extra_claims: Mapping[str, Any] | None = None,
    headers: Mapping[str, Any] | None = None,
) -> str:
    """Sign an RS256 token with ``key``; claims as the auth service issues them.

    ``sub`` and ``sid`` default to fresh UUIDs; ``scopes`` to what a signed-in session of
    ``roles`` carries (``taskflow.common.scopes.scopes_for_roles``), as auth mints them.
    ``extra_claims`` are merged last; a value of ``None`` removes that claim (to test a token
    without ``exp``, ``sid``...). ``headers`` are merged over
    ``{"alg": "RS256", "kid": key.kid}`` (e.g. ``{"kid": "unknown"}``).
    """
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": str(user_id or uuid.uuid4()),
        "iat": now,
        "nbf": now,
        "exp": now + expires_in,
        "jti": str(uuid.uuid4()),
        "typ": typ,
        "roles": list(roles),
        "scope": format_scopes(scopes_for_roles(roles) if scopes is None else scopes),
        "sid": str(session_id or uuid.uuid4()),
    }
    for name, value in (extra_claims or {}).items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    header: dict[str, Any] = {"kid": key.kid}
    header.update(headers or {})
    token: str = jwt.encode(claims, key.private_pem, algorithm="RS256", headers=header)
    return token
