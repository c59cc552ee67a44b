"""The reporting worker: one consumer that feeds the read models; SIGTERM-safe.

Queue `reporting.events` (quorum, single active consumer, so events are applied in queue
order) bound to `project.#`, `task.#` and `milestone.#`. Every event goes to one handler
(`handlers.handle`). The consumer runs in the framework's batch mode: up to `BATCH_SIZE`
delivered events share one transaction (their inbox rows and the handler's effects, in
delivery order) and one commit, which was most of the cost of an event when each had its own.
A batch that fails is replayed one event at a time, so a failing event is retried with growing
delay and then parked in `reporting.events.dlq` alone (list and replay parked events with the
taskflow.events admin tools) while the others are applied.
"""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from taskflow.common.db import Database
from taskflow.common.logging import get_logger
from taskflow.events import Consumer, install_signal_handlers
from taskflow.events.topology import QueueSpec
from taskflow.reporting.config import Settings
from taskflow.reporting.db import inbox
from taskflow.reporting.projection.handlers import BINDINGS, handle

log = get_logger("taskflow.reporting.worker")


#: Events per transaction. The handler's own work (two statements a task event) stays, so
#: past a few dozen the commit is amortised and larger batches only hold locks longer.
BATCH_SIZE = 50
#: How long a started batch waits for more events (the added latency at a low event rate).
#: At a live system's rate (tens of events a second) a batch's fixed work (the pool's ping,
#: BEGIN, COMMIT, the ack) was most of an event's CPU with 20 ms; 200 ms shares it among
#: several events and stays far inside the one-second lag the load test asks for (no
#: reader needs a report within the second).
BATCH_WAIT_MS = 200


def queue_spec(settings: Settings) -> QueueSpec:
    """The worker's queue, its retry policy and its batching (bounded by the prefetch)."""
    return QueueSpec(
        name=settings.queue,
        bindings=BINDINGS,
        prefetch=settings.prefetch,
        batch_size=min(BATCH_SIZE, settings.prefetch),
        batch_wait_ms=BATCH_WAIT_MS,
    )


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
    """Consume until SIGTERM/SIGINT (or `stop`); the batch in hand is finished first."""
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
