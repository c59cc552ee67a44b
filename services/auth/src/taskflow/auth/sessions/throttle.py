"""Throttling of sign-in attempts, per account and per client IP, in Redis (shared by replicas).

Count first, then verify. Before a password (or MFA code) is looked at, one Lua script,
atomic across every replica, refuses the attempt while the account or the IP is locked, and
otherwise counts it. The attempt that uses up an allowance (`free` attempts in the window)
locks the account (or IP) at once, for a delay that doubles with every further attempt up
to `max_delay`. So however many requests arrive at the same moment, at most `free` of them
per account are evaluated before the lock, then one per lock period; the rest get 429 with
`Retry-After` before any password hashing or database work. A successful sign-in clears
the account's count and gives its attempt back to the IP (so that an office behind one
address is not locked out by its own colleagues' successful sign-ins).

The account key is a hash of the normalised email whether or not the account exists, so the
throttle behaves the same for unknown emails (no enumeration through 429s).

When Redis does not answer within `redis_timeout`, sign-in fails closed: 503
`redis_unavailable` with `Retry-After`, never an unthrottled password check.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from redis.asyncio import Redis

from taskflow.auth.config import Settings
from taskflow.common.errors import TooManyRequests
from taskflow.common.redis import REDIS_DOWN_ERRORS, key, redis_unavailable

T = TypeVar("T")

# KEYS: fail_1, lock_1[, fail_2, lock_2]. ARGV: window, base_delay, max_delay, free_1[, free_2].
# Returns {1, 0} when the attempt may be evaluated (and was counted), {0, ms} while locked.
_RESERVE = """
local n = #KEYS / 2
local wait = 0
for i = 1, n do
  local ttl = redis.call('PTTL', KEYS[2 * i])
  if ttl > wait then wait = ttl end
end
if wait > 0 then return {0, wait} end
for i = 1, n do
  local count = redis.call('INCR', KEYS[2 * i - 1])
  if count == 1 then redis.call('EXPIRE', KEYS[2 * i - 1], ARGV[1]) end
  local free = tonumber(ARGV[3 + i])
  if count >= free then
    local delay = tonumber(ARGV[2]) * 2 ^ math.min(count - free, 20)
    delay = math.min(delay, tonumber(ARGV[3]))
    redis.call('SET', KEYS[2 * i], '1', 'EX', math.floor(delay))
  end
end
return {1, 0}
"""

# KEYS: fail, lock. ARGV: free. Gives one counted attempt back (a success); unlocks when the
# count falls below the allowance again.
_REFUND = """
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then count = redis.call('DECR', KEYS[1]) end
if count < tonumber(ARGV[1]) then redis.call('DEL', KEYS[2]) end
return count
"""


class LoginThrottle:
    """Attempt counters and locks for one kind of sign-in step (`login` or `mfa`)."""

    def __init__(self, redis: Redis, settings: Settings, *, scope: str = "login") -> None:
        self.redis = redis
        self.settings = settings
        self.scope = scope

    def _keys(self, kind: str, ident: str) -> tuple[str, str]:
        digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
        base = (self.settings.redis_prefix, "auth", self.scope)
        return key(*base, "fail", kind, digest), key(*base, "lock", kind, digest)

    async def _call(self, make: Callable[[], Awaitable[T]]) -> T:
        """Run one Redis call under the deadline; a silent Redis fails closed (503)."""
        try:
            async with asyncio.timeout(self.settings.redis_timeout):
                return await make()
        except REDIS_DOWN_ERRORS:
            raise redis_unavailable() from None

    async def reserve(self, account: str, ip: str | None) -> None:
        """Count one attempt before it is evaluated; 429 with `Retry-After` while locked."""
        s = self.settings
        keys = list(self._keys("acct", account))
        frees = [s.throttle_account_free]
        if ip:
            keys += self._keys("ip", ip)
            frees.append(s.throttle_ip_free)
        args: list[Any] = [
            s.throttle_window_seconds,
            s.throttle_base_delay_seconds,
            s.throttle_max_delay_seconds,
            *frees,
        ]
        allowed, wait_ms = await self._call(
            lambda: self.redis.eval(_RESERVE, len(keys), *keys, *args)
        )
        if not int(allowed):
            raise TooManyRequests(
                "Too many failed attempts. Try again later.",
                code="login_throttled",
                retry_after=max(math.ceil(int(wait_ms) / 1000), 1),
            )

    async def succeeded(self, account: str, ip: str | None) -> None:
        """A sign-in step passed: forget the account's attempts, give the IP its one back."""
        fail_key, lock_key = self._keys("acct", account)
        await self._call(lambda: self.redis.delete(fail_key, lock_key))
        if ip:
            ip_keys = self._keys("ip", ip)
            await self._call(
                lambda: self.redis.eval(_REFUND, 2, *ip_keys, self.settings.throttle_ip_free)
            )


async def first_in_window(
    redis: Redis, settings: Settings, kind: str, ident: str, seconds: int
) -> bool:
    """True for the first call per `(kind, ident)` in `seconds` (mail flood guard).

    Fails closed like the sign-in throttle: 503 rather than an unguarded mail.
    """
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    name = key(settings.redis_prefix, "auth", "once", kind, digest)
    try:
        async with asyncio.timeout(settings.redis_timeout):
            return bool(await redis.set(name, b"1", ex=seconds, nx=True))
    except REDIS_DOWN_ERRORS:
        raise redis_unavailable() from None
