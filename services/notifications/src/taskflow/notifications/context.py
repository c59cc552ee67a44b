"""What handlers and services share in one process: settings, Redis, clock, live publisher."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from redis.asyncio import Redis

from taskflow.notifications.config import Settings
from taskflow.notifications.db import utcnow
from taskflow.notifications.live.channels import Publisher
from taskflow.notifications.notifications.unread import UnreadCounter

Clock = Callable[[], datetime]


@dataclass
class Context:
    """The per-process collaborators. `clock` is injectable so tests control time."""

    settings: Settings
    redis: Redis
    clock: Clock = utcnow
    wake_sender: Callable[[], None] = field(default=lambda: None)

    def __post_init__(self) -> None:
        self.publisher = Publisher(self.redis, self.settings.redis_prefix)
        self.unread = UnreadCounter(
            self.redis, self.settings.redis_prefix, self.settings.unread_cache_ttl
        )
