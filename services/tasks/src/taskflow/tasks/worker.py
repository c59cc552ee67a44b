"""The tasks worker: outbox relay, consumers, the fixed-schedule scan and the trash purge.

Queues (each a durable quorum queue of its own, declared by the consumer framework):
- `tasks.recurrence` bound to `task.completed`: creates the next occurrence of recurring tasks.
- `tasks.users` bound to `user.registered|updated|deactivated`: the users projection. A queue of
  its own so that a burst of task completions never delays profile updates and vice versa, and
  each keeps its own retry and parking policy.

SIGTERM / SIGINT set `stop`: every loop finishes the item in hand and returns; messages that
were prefetched but not handled go back to their queue (nothing acknowledged is lost).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

from taskflow.common.db import Database
from taskflow.common.logging import get_logger
from taskflow.events import (
    Consumer,
    OutboxRelay,
    QueueSpec,
    every,
    install_signal_handlers,
    purge_published,
)
from taskflow.tasks.config import Settings
from taskflow.tasks.db import inbox, outbox_rows
from taskflow.tasks.tasks import occurrences
from taskflow.tasks.tasks.handlers import handle_task_completed
from taskflow.tasks.users.handlers import handle_user_event

log = get_logger("taskflow.tasks.worker")

RECURRENCE_QUEUE = QueueSpec(name="tasks.recurrence", bindings=("task.completed",))
USER_EVENTS = ("user.registered", "user.updated", "user.deactivated")
USERS_QUEUE = QueueSpec(name="tasks.users", bindings=USER_EVENTS)


def consumers(settings: Settings, db: Database) -> list[Consumer]:
    """The worker's consumers."""
    amqp = settings.amqp_url.get_secret_value()
    return [
        Consumer(
            amqp, settings.events_exchange, RECURRENCE_QUEUE, db.sessionmaker, inbox,
            {"task.completed": handle_task_completed},
        ),
        Consumer(
            amqp, settings.events_exchange, USERS_QUEUE, db.sessionmaker, inbox,
            dict.fromkeys(USER_EVENTS, handle_user_event),
        ),
    ]  # fmt: skip


def jobs(settings: Settings, db: Database) -> dict[str, tuple[float, Callable[[], Awaitable[int]]]]:
    """The periodic jobs by name: (interval, one run in its own transaction)."""

    async def scan_fixed() -> int:
        async with db.sessionmaker.begin() as session:
            return await occurrences.advance_fixed(session)

    async def purge() -> int:
        async with db.sessionmaker.begin() as session:
            trashed = await occurrences.purge_trash(
                session, timedelta(days=settings.trash_retention_days)
            )
        async with db.engine.begin() as conn:
            sent = await purge_published(conn, outbox_rows)
        return trashed + sent

    return {
        "recurrence_fixed": (settings.recurrence_interval_seconds, scan_fixed),
        "purge": (settings.purge_interval_seconds, purge),
    }


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Run everything until SIGTERM (or `stop`)."""
    stop = stop or asyncio.Event()
    install_signal_handlers(stop)
    db = Database(settings)
    relay = OutboxRelay(
        db.engine,
        outbox_rows,
        settings.amqp_url.get_secret_value(),
        settings.events_exchange,
        name="tasks",
    )
    loops = [relay.run(stop), *(c.run(stop) for c in consumers(settings, db))]
    loops += [
        every(stop, interval, name, job) for name, (interval, job) in jobs(settings, db).items()
    ]
    log.info("worker_started")
    try:
        await asyncio.gather(*loops)
    finally:
        await db.dispose()
        log.info("worker_stopped")
