"""The reporting worker: one consumer that feeds the read models; SIGTERM-safe.

Queue `reporting.events` (quorum, single active consumer, so events are applied one at a time
in queue order) bound to `project.#`, `task.#` and `milestone.#`. Every event goes to one
handler (`handlers.handle`): the framework records the inbox row and the handler's effect in
one transaction; failures are retried with growing delay and then parked in
`reporting.events.dlq` (list and replay them with the taskflow.events admin tools).
"""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from taskflow.common.db import Database
from taskflow.common.logging import get_logger
from taskflow.events.consumer import Consumer, install_signal_handlers
from taskflow.events.topology import QueueSpec
from taskflow.reporting.config import Settings
from taskflow.reporting.db import inbox
from taskflow.reporting.projection.handlers import BINDINGS, handle

log = get_logger("taskflow.reporting.worker")


def queue_spec(settings: Settings) -> QueueSpec:
    """The worker's queue and its retry policy."""
    return QueueSpec(name=settings.queue, bindings=BINDINGS, prefetch=settings.prefetch)


def build_consumer(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> Consumer:
    """The consumer of the reporting queue (every event type goes to the one handler)."""
    return Consumer(
        settings.amqp_url.get_secret_value(),
        settings.events_exchange,
        queue_spec(settings),
        sessionmaker,
        inbox,
        handlers={},
        default_handler=handle,
    )


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Consume until SIGTERM/SIGINT (or `stop`); the message in hand is finished first."""
    stop = stop or asyncio.Event()
    install_signal_handlers(stop)
    db = Database(settings)
    consumer = build_consumer(settings, db.sessionmaker)
    log.info("worker_started", queue=settings.queue)
    try:
        await consumer.run(stop)
    finally:
        await db.dispose()
        log.info("worker_stopped", handled=consumer.handled, duplicates=consumer.duplicates)
