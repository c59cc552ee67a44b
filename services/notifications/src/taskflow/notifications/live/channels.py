"""Redis pub/sub channel names and the publisher used by the worker (and the api).

Every api replica subscribes to `<prefix>:ws:*`; whoever publishes does not need to know
which replica holds a user's socket.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from taskflow.common.logging import get_logger
from taskflow.common.redis import key

log = get_logger(__name__)


def pattern(prefix: str) -> str:
    """The pattern an api replica subscribes to."""
    return key(prefix, "ws", "*")


def user_channel(prefix: str, user_id: uuid.UUID) -> str:
    return key(prefix, "ws", "user", str(user_id))


def project_channel(prefix: str, project_id: uuid.UUID) -> str:
    return key(prefix, "ws", "project", str(project_id))


class Publisher:
    """Publishes live messages; a failure is logged, never raised (live is best effort)."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix

    async def to_user(self, user_id: uuid.UUID, message: dict[str, Any]) -> None:
        await self._publish(user_channel(self.prefix, user_id), message)

    async def to_project(self, project_id: uuid.UUID, message: dict[str, Any]) -> None:
        await self._publish(project_channel(self.prefix, project_id), message)

    async def _publish(self, channel: str, message: dict[str, Any]) -> None:
        try:
            await self.redis.publish(channel, orjson.dumps(message))
        except RedisError:
            # The notification is stored: a client that missed it gets it on resume.
            log.warning("live_publish_failed", channel=channel)
