"""Signing keys: create, rotate, publish, and mint access tokens with the active one.

The private key is decrypted once and cached for `signing_key_cache_seconds`, so a rotation
made by another process (the `rotate-keys` command) is picked up within that time; tokens
signed meanwhile with the previous key stay valid because it stays published.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwk, jwt
from jose.backends.base import Key
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from taskflow.auth.config import Settings
from taskflow.auth.crypto import SecretBox
from taskflow.auth.db import utcnow
from taskflow.auth.keys import repository
from taskflow.auth.keys.models import SigningKey
from taskflow.common.db import Database
from taskflow.common.jwk import rsa_public_jwk

ALGORITHM = "RS256"


def generate_key(box: SecretBox) -> SigningKey:
    """A new RSA-2048 key (not yet added to a session), private half encrypted."""
    kid = f"{utcnow():%Y%m%d}-{secrets.token_hex(6)}"
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_jwk = rsa_public_jwk(private.public_key(), kid, ALGORITHM)
    return SigningKey(
        kid=kid,
        private_key_enc=box.encrypt(pem, context=f"signing-key:{kid}"),
        public_jwk=public_jwk,
    )


async def published_keys(session: AsyncSession) -> list[SigningKey]:
    """Keys in the JWKS: the active one and rotated ones not yet retired."""
    return await repository.published(session, utcnow())


def jwks_document(keys: Iterable[SigningKey]) -> dict[str, Any]:
    """The JWK set (public halves only)."""
    return {"keys": [dict(k.public_jwk) for k in keys]}


async def ensure_active_key(session: AsyncSession, box: SecretBox) -> SigningKey:
    """The active key, creating the first one under an advisory lock if there is none.

    The transaction-scoped advisory lock makes two replicas starting together wait for each
    other; the second then finds the first one's key. The partial unique index on
    `rotated_at IS NULL` is the backstop.
    """
    active = await repository.active(session)
    if active is not None:
        return active
    await repository.lock_key_creation(session)
    active = await repository.active(session)
    if active is not None:
        return active
    key = generate_key(box)
    session.add(key)
    await session.flush()
    return key


async def rotate(session: AsyncSession, box: SecretBox, settings: Settings) -> SigningKey:
    """Add a new active key; the old one is published until its last token has expired."""
    await repository.lock_key_creation(session)
    now = utcnow()
    retire = now + timedelta(
        seconds=settings.access_token_ttl_seconds
        + settings.token_leeway_seconds
        + settings.signing_key_cache_seconds
    )
    await repository.retire_active(session, now, retire)
    key = generate_key(box)
    session.add(key)
    await session.flush()
    return key


async def purge_retired(session: AsyncSession) -> int:
    """Delete keys retired for a day (their tokens expired long ago); returns how many."""
    cutoff = utcnow() - timedelta(days=1)
    return await repository.delete_retired_before(session, cutoff)


@dataclass(frozen=True)
class MintedToken:
    """An access token and what it says."""

    token: str
    jti: str
    expires_in: int
    expires_at: datetime


class TokenMinter:
    """Signs access tokens with the active key (cached, re-read after a short time)."""

    def __init__(
        self, settings: Settings, box: SecretBox, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        self.settings = settings
        self.box = box
        self.sessionmaker = sessionmaker
        #: (kid, constructed signing key). Constructing an RSA key from PEM validates it,
        #: which costs tens of ms: it is done once per cache period, never per token.
        self._cached: tuple[str, Key] | None = None
        self._cached_at = float("-inf")
        self._lock = asyncio.Lock()

    async def _signing_key(self) -> tuple[str, Key]:
        if (
            self._cached is not None
            and time.monotonic() - self._cached_at < self.settings.signing_key_cache_seconds
        ):
            return self._cached
        async with self._lock:
            if (
                self._cached is not None
                and time.monotonic() - self._cached_at < self.settings.signing_key_cache_seconds
            ):
                return self._cached
            # Its own transaction: creating the first key must commit even if the request fails.
            async with self.sessionmaker() as session, session.begin():
                key = await ensure_active_key(session, self.box)
                pem = self.box.decrypt(key.private_key_enc, context=f"signing-key:{key.kid}")
            self._cached = (key.kid, jwk.construct(pem.decode(), ALGORITHM))
            self._cached_at = time.monotonic()
            return self._cached

    async def ensure_key(self) -> str:
        """The active key's kid, creating (and committing) the first key when there is none."""
        kid, _ = await self._signing_key()
        return kid

    def forget(self) -> None:
        """Drop the cached key (after a rotation in this process)."""
        self._cached = None

    async def mint(
        self,
        *,
        user_id: uuid.UUID,
        roles: Iterable[str],
        scope: str,
        session_id: uuid.UUID | None,
    ) -> MintedToken:
        """A signed RS256 access token with the claims every service expects."""
        kid, signing_key = await self._signing_key()
        now = int(time.time())
        ttl = self.settings.access_token_ttl_seconds
        jti = str(uuid.uuid4())
        claims: dict[str, Any] = {
            "iss": self.settings.jwt_issuer,
            "aud": self.settings.jwt_audience,
            "sub": str(user_id),
            "iat": now,
            "nbf": now,
            "exp": now + ttl,
            "jti": jti,
            "typ": "access",
            "roles": sorted(roles),
            "scope": scope,
        }
        if session_id is not None:
            claims["sid"] = str(session_id)
        token = jwt.encode(claims, signing_key, algorithm=ALGORITHM, headers={"kid": kid})
        return MintedToken(
            token=token,
            jti=jti,
            expires_in=ttl,
            expires_at=datetime.fromtimestamp(now + ttl, tz=utcnow().tzinfo),
        )


class DbKeySource:
    """taskflow.common `KeySource` over this service's own published keys in the database.

    Auth verifies the tokens it signed against exactly what its JWKS publishes, so the two
    cannot disagree. Keys are cached; an unknown kid re-reads the table at most once per
    `min_refresh_interval`, so forged kids cannot turn into a query per request.
    """

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        ttl: float = 60.0,
        min_refresh_interval: float = 0.25,
        database: Database | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self._database = database
        self.ttl = ttl
        self.min_refresh_interval = min_refresh_interval
        self._keys: dict[str, Key] = {}
        self._loaded_at = float("-inf")
        self._lock = asyncio.Lock()

    @classmethod
    def for_settings(cls, settings: Settings) -> DbKeySource:
        """A key source with its own one-connection pool (the app's Database does not exist
        yet when the verifier is built; create_app closes it with `aclose`)."""
        database = Database(settings, pool_size=1, max_overflow=1)
        return cls(database.sessionmaker, database=database)

    async def aclose(self) -> None:
        if self._database is not None:
            await self._database.dispose()

    async def _load(self) -> None:
        async with self.sessionmaker() as session:
            keys = await published_keys(session)
        self._keys = {k.kid: jwk.construct(k.public_jwk, ALGORITHM) for k in keys}
        self._loaded_at = time.monotonic()

    async def get(self, kid: str, *, refresh: bool = False) -> Key | None:
        """The public key for `kid` if it is published.

        An unknown kid after a recent reload waits out the rest of `min_refresh_interval`
        and reloads once, instead of failing: a token signed by a key created a moment ago
        (rotation, first start) must verify, and the wait is what bounds forged-kid floods.
        Concurrent callers share one reload through the lock.
        """
        if kid in self._keys and time.monotonic() - self._loaded_at <= self.ttl:
            return self._keys[kid]
        if not refresh and time.monotonic() - self._loaded_at <= self.ttl:
            return None
        started = time.monotonic()
        async with self._lock:
            if kid in self._keys and self._loaded_at >= started:
                return self._keys[kid]
            if self._loaded_at >= started:
                return self._keys.get(kid)  # someone reloaded while we waited: trust it
            wait = self.min_refresh_interval - (time.monotonic() - self._loaded_at)
            if wait > 0:
                await asyncio.sleep(wait)
            await self._load()
        return self._keys.get(kid)
