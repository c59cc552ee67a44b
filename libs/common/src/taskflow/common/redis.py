"""The service's Redis client (created lazily-connecting) and prefixed key names."""

from __future__ import annotations

from typing import TYPE_CHECKING

from redis.asyncio import Redis

if TYPE_CHECKING:
    from taskflow.common.settings import ServiceSettings


def make_redis(settings: ServiceSettings) -> Redis:
    """An asyncio Redis client; no connection is opened until the first command."""
    client: Redis = Redis.from_url(
        settings.redis_url.get_secret_value(),
        decode_responses=False,
        socket_connect_timeout=2.0,
        socket_timeout=5.0,
        health_check_interval=30,
    )
    return client


def key(prefix: str, *parts: str) -> str:
    """`prefix:part1:part2`, the one way keys are named so a prefix can be cleaned up."""
    return ":".join((prefix, *parts))
