"""Where a verifier gets its keys: a JWK set fixed in advance, or auth's JWKS URL, cached.

Only RSA signing keys for the one pinned algorithm are taken from a set; a private key
published by mistake, a key for another use or algorithm, or a broken entry is ignored.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any, Protocol

import httpx
from jose import jwk
from jose.backends.base import Key

from taskflow.common.jwk import ALGORITHM
from taskflow.common.logging import get_logger

log = get_logger(__name__)


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
