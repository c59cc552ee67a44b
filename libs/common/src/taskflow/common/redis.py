"""The service's Redis client, its failure modes, and prefixed key names.

Every Redis use is async and bounded: the client connects within `redis_timeout` and gives
up on a reply after `redis_timeout`, with no client-side retries (a retry only multiplies the
wait of a hung server). What a route does when Redis is slow or gone is decided per use
(docs/architecture.md, "When Redis is slow or gone"): throttling, revocation and
idempotency fail closed with 503 `redis_unavailable`; caches and the breaker state degrade.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from taskflow.common.errors import ServiceUnavailable

if TYPE_CHECKING:
    from taskflow.common.settings import ServiceSettings

#: What a slow or absent Redis raises: redis-py's own errors, and `TimeoutError` from an
#: `asyncio.timeout` around a call (a stalled connection pool is not covered by the socket
#: timeouts).
REDIS_DOWN_ERRORS: tuple[type[Exception], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    TimeoutError,
    asyncio.TimeoutError,
)

#: Seconds a client is told to wait before retrying after a 503 `redis_unavailable`.
RETRY_AFTER_SECONDS = 5


def make_redis(settings: ServiceSettings) -> Redis:
    """An asyncio Redis client; no connection is opened until the first command."""
    client: Redis = Redis.from_url(
        settings.redis_url.get_secret_value(),
        decode_responses=False,
        socket_connect_timeout=settings.redis_timeout,
        socket_timeout=settings.redis_timeout,
        retry=Retry(NoBackoff(), 0),
        health_check_interval=30,
    )
    return client


def redis_unavailable() -> ServiceUnavailable:
    """The 503 a route answers when it needs Redis and Redis does not answer in time."""
    return ServiceUnavailable(
        "A dependency this needs is not answering; try again shortly.",
        code="redis_unavailable",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def key(prefix: str, *parts: str) -> str:
    """`prefix:part1:part2`, the one way keys are named so a prefix can be cleaned up."""
    return ":".join((prefix, *parts))
