"""The unread count per user, cached in Redis and invalidated without a stale-cache race.

Cache-aside with a generation counter: a writer bumps `gen` *after* its commit; a reader
notes `gen` before counting in the database and stores its count only if `gen` did not move
meanwhile (one Lua script, atomic). So a count taken before a concurrent commit can never be
cached after that commit's invalidation. Redis down: the count comes from the database.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from taskflow.common.logging import get_logger
from taskflow.common.redis import key

log = get_logger(__name__)

_STORE_IF_SAME_GEN = """
local gen = redis.call('GET', KEYS[2])
if (gen or '0') == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0
"""


class UnreadCounter:
    """Cached unread counts under `<prefix>:notif:unread:<user>`."""

    def __init__(self, redis: Redis, prefix: str, ttl: int) -> None:
        self.redis = redis
        self.prefix = prefix
        self.ttl = ttl

    def _keys(self, user_id: uuid.UUID) -> tuple[str, str]:
        u = str(user_id)
        return key(self.prefix, "notif", "unread", u), key(self.prefix, "notif", "unread-gen", u)

    async def get(self, user_id: uuid.UUID, count: Callable[[], Awaitable[int]]) -> int:
        """The cached count, or `count()` from the database (then cached if still current)."""
        count_key, gen_key = self._keys(user_id)
        try:
            cached, gen = await self.redis.mget(count_key, gen_key)
        except RedisError:
            log.warning("unread_cache_unavailable")
            return await count()
        if cached is not None:
            return int(cached)
        value = await count()
        try:
            await self.redis.eval(
                _STORE_IF_SAME_GEN,
                2,
                count_key,
                gen_key,
                gen.decode() if isinstance(gen, bytes) else str(gen or "0"),
                str(value),
                str(self.ttl),
            )
        except RedisError:
            log.warning("unread_cache_unavailable")
        return value

    async def invalidate(self, *user_ids: uuid.UUID) -> None:
        """Forget the counts of these users; call after the change committed."""
        if not user_ids:
            return
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for user_id in set(user_ids):
                    count_key, gen_key = self._keys(user_id)
                    pipe.incr(gen_key)
                    pipe.expire(gen_key, self.ttl * 4)
                    pipe.delete(count_key)
                await pipe.execute()
        except RedisError:
            # The TTL bounds how long a missed invalidation can show a wrong count.
            log.warning("unread_cache_invalidate_failed")
