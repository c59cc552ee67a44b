"""The `webhooks` worker process: the fan-out consumer and the dispatcher.

A process of its own (`taskflow-tasks webhooks`), not part of the main tasks worker, so that
slow or failing receivers never hold back the relay or recurrence, and it can be scaled (or
stopped) on its own. Queue `tasks.webhooks` is bound to every project-scoped event type.
"""

from __future__ import annotations

import asyncio

from taskflow.common.db import Database
from taskflow.common.logging import get_logger
from taskflow.common.redis import make_redis
from taskflow.events import Consumer, install_signal_handlers
from taskflow.events.topology import QueueSpec
from taskflow.tasks.config import Settings
from taskflow.tasks.db import inbox
from taskflow.tasks.webhooks.dispatcher import Dispatcher, outbound_for
from taskflow.tasks.webhooks.handlers import handle_project_event
from taskflow.tasks.webhooks.payloads import deliverable_types

log = get_logger("taskflow.tasks.webhooks.worker")

#: The fan-out runs in the framework's batch mode: up to `BATCH_SIZE` delivered events share
#: one transaction, one commit and one ack (a failed batch is replayed one event at a time, so
#: a poison event is still retried and parked alone). Most of an event's cost was that
#: per-transaction work (the pool's ping, BEGIN, the inbox row, COMMIT, the ack); the handler
#: itself is one query when no endpoint listens. `BATCH_WAIT_MS` bounds the added delay: a
#: delivery is due when its row is written, and the dispatcher polls every second anyway.
BATCH_SIZE = 50
BATCH_WAIT_MS = 100
WEBHOOKS_QUEUE = QueueSpec(
    name="tasks.webhooks",
    bindings=tuple(deliverable_types()),
    prefetch=2 * BATCH_SIZE,
    batch_size=BATCH_SIZE,
    batch_wait_ms=BATCH_WAIT_MS,
)


def consumer(settings: Settings, db: Database) -> Consumer:
    """The fan-out consumer of `tasks.webhooks`."""
    return Consumer(
        settings.amqp_url.get_secret_value(),
        settings.events_exchange,
        WEBHOOKS_QUEUE,
        db.sessionmaker,
        inbox,
        dict.fromkeys(WEBHOOKS_QUEUE.bindings, handle_project_event),
    )


async def run_webhooks_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Consume and send until SIGTERM (or `stop`); an attempt in flight is finished first."""
    stop = stop or asyncio.Event()
    install_signal_handlers(stop)
    db = Database(settings)
    redis_client = make_redis(settings)
    outbound = outbound_for(settings)
    dispatcher = Dispatcher(settings, db, outbound, redis_client)
    log.info("webhooks_worker_started")
    try:
        await asyncio.gather(consumer(settings, db).run(stop), dispatcher.run(stop))
    finally:
        await outbound.aclose()
        await redis_client.aclose()
        await db.dispose()
        log.info("webhooks_worker_stopped")
