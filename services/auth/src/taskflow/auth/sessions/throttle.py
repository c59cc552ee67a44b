"""Throttling of failed logins, per account and per client IP, in Redis (shared by replicas).

The first `free` failures in the window cost nothing; after that each failure locks the
account (or IP) for a delay that doubles, up to `max_delay`. While locked, login answers 429
with `Retry-After` *before* checking the password, so a locked account cannot be guessed at.
The account key is a hash of the normalised email whether or not the account exists, so the
throttle behaves the same for unknown emails (no enumeration through 429s).
"""

from __future__ import annotations

import hashlib
import math

from redis.asyncio import Redis

from taskflow.auth.config import Settings
from taskflow.common.errors import TooManyRequests
from taskflow.common.redis import key


class LoginThrottle:
    """Counters and locks for failed logins."""

    def __init__(self, redis: Redis, settings: Settings, *, scope: str = "login") -> None:
        self.redis = redis
        self.settings = settings
        self.scope = scope

    def _keys(self, kind: str, ident: str) -> tuple[str, str]:
        digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
        base = (self.settings.redis_prefix, "auth", self.scope)
        return key(*base, "fail", kind, digest), key(*base, "lock", kind, digest)

    async def check(self, account: str, ip: str | None) -> None:
        """Raise 429 with `Retry-After` while the account or the IP is locked."""
        pipe = self.redis.pipeline(transaction=False)
        _, acct_lock = self._keys("acct", account)
        pipe.pttl(acct_lock)
        if ip:
            pipe.pttl(self._keys("ip", ip)[1])
        ttls = [t for t in await pipe.execute() if isinstance(t, int) and t > 0]
        if ttls:
            wait = math.ceil(max(ttls) / 1000)
            raise TooManyRequests(
                "Too many failed attempts. Try again later.",
                code="login_throttled",
                retry_after=max(wait, 1),
            )

    async def record_failure(self, account: str, ip: str | None) -> None:
        """Count one failure; lock the account / IP once past its free allowance."""
        s = self.settings
        targets = [("acct", account, s.throttle_account_free)]
        if ip:
            targets.append(("ip", ip, s.throttle_ip_free))
        pipe = self.redis.pipeline(transaction=False)
        for kind, ident, _ in targets:
            fail_key, _ = self._keys(kind, ident)
            pipe.incr(fail_key)
            pipe.expire(fail_key, s.throttle_window_seconds, nx=True)
        results = await pipe.execute()
        pipe = self.redis.pipeline(transaction=False)
        for i, (kind, ident, free) in enumerate(targets):
            count = int(results[2 * i])
            if count > free:
                over = count - free - 1
                delay = min(
                    s.throttle_base_delay_seconds * (2 ** min(over, 20)),
                    s.throttle_max_delay_seconds,
                )
                pipe.set(self._keys(kind, ident)[1], b"1", ex=int(delay))
        await pipe.execute()

    async def reset_account(self, account: str) -> None:
        """Forget an account's failures (after a successful login). The IP keeps its count."""
        fail_key, lock_key = self._keys("acct", account)
        await self.redis.delete(fail_key, lock_key)


async def first_in_window(
    redis: Redis, settings: Settings, kind: str, ident: str, seconds: int
) -> bool:
    """True for the first call per `(kind, ident)` in `seconds` (mail flood guard)."""
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    name = key(settings.redis_prefix, "auth", "once", kind, digest)
    return bool(await redis.set(name, b"1", ex=seconds, nx=True))
