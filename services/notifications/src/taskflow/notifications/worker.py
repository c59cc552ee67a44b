"""The worker: one process running the consumer, the sender, the scheduler and the outbox relay.

SIGTERM sets `stop`: the consumer stops taking messages and finishes the one in hand, the
sender finishes its current pass, then everything closes. Nothing acknowledged is lost (the
consumer acks after commit; a delivery being sent keeps its lease and is retried by the next
worker if this one dies mid-send).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.db import Database
from taskflow.common.logging import get_logger
from taskflow.common.redis import make_redis
from taskflow.common.resilience import AsyncCircuitBreaker, ResilientClient
from taskflow.events import Consumer, OutboxRelay, install_signal_handlers
from taskflow.events.contracts.base import Event, registered_events
from taskflow.events.contracts.notifications import NotificationDeliveryFailed
from taskflow.events.envelope import Envelope
from taskflow.events.topology import QueueSpec
from taskflow.notifications.calendar import handlers as calendar
from taskflow.notifications.calendar.caldav import CaldavChannel
from taskflow.notifications.config import Settings
from taskflow.notifications.consuming import Handler, combine
from taskflow.notifications.context import Context
from taskflow.notifications.db import OUTBOX, inbox, outbox_rows, utcnow
from taskflow.notifications.deliveries import handlers as deliveries
from taskflow.notifications.deliveries.service import Sender
from taskflow.notifications.live import handlers as live
from taskflow.notifications.notifications import handlers as notifications
from taskflow.notifications.projections import handlers as projections
from taskflow.notifications.reminders import handlers as reminders
from taskflow.notifications.reminders.service import Scheduler

log = get_logger(__name__)

#: The service's own queue.
QUEUE = "notifications.events"
#: Routing keys the notifications queue is bound to.
BINDINGS = ("user.*", "project.*", "task.*", "comment.*", "webhook.disabled")
#: Types the bindings bring in that concern nobody here (the audit log keeps them). Listed so
#: that a new type with no entry is parked until someone decides, not dropped unseen (project
#: events always have one: live pushes every project event to the boards; task events all take
#: the task path).
IGNORED = (
    "user.login_failed",
    "user.mfa_enabled",
    # Invitations are for project admins (no board hears of them); only their mail is ours,
    # and the invitee's `project.member_added` notifies them once they joined.
    "project.invitation_created",
    "project.invitation_revoked",
    "project.invitation_accepted",
)


def received() -> list[type[Event]]:
    """The contracts whose routing keys match the queue's bindings."""
    return [
        cls for cls in registered_events() if any(_matches(b, cls.event_type) for b in BINDINGS)
    ]


def _matches(binding: str, routing_key: str) -> bool:
    """A topic binding made only of words and ``*`` (one word each), as ours are."""
    pattern, words = binding.split("."), routing_key.split(".")
    return len(pattern) == len(words) and all(
        p in ("*", w) for p, w in zip(pattern, words, strict=True)
    )


async def _ignore(session: AsyncSession, envelope: Envelope, event: Event) -> None:
    """Nothing to do, on purpose (see IGNORED)."""


def handler_map(ctx: Context) -> dict[str, Handler]:
    """The consumer's handlers by event type: each domain's entries, in the order they run.

    Task events apply the projection first and then the task steps with what it knew before.
    A type with no entry is parked by the events library as ``no handler``.
    """
    task_steps = [
        notifications.task_step(ctx),
        reminders.sync_reminders,
        calendar.task_step(ctx),
    ]
    return combine(
        projections.handlers(task_steps),
        deliveries.handlers(ctx),
        notifications.handlers(ctx),
        calendar.handlers(),
        live.handlers(ctx, received()),
        dict.fromkeys(IGNORED, _ignore),
    )


def queue_spec(settings: Settings) -> QueueSpec:
    """The service's queue: bound to every event family it reacts to, in batch mode."""
    batch = settings.consumer_batch_size
    return QueueSpec(
        name=QUEUE,
        bindings=BINDINGS,
        prefetch=max(settings.consumer_prefetch, batch),
        max_attempts=5,
        retry_delays_ms=settings.consumer_retry_delays_ms,
        batch_size=batch,
        batch_wait_ms=settings.consumer_batch_wait_ms,
    )


@dataclass
class Worker:
    """Every part of the worker, built from settings; tests build it with their own clock."""

    settings: Settings
    db: Database
    redis: Redis
    ctx: Context
    consumer: Consumer
    sender: Sender
    scheduler: Scheduler
    relay: OutboxRelay
    caldav_client: ResilientClient | None

    async def run(self, stop: asyncio.Event) -> None:
        """Run every loop until `stop` is set, then close resources."""
        tasks = [
            asyncio.create_task(self.consumer.run(stop), name="consumer"),
            asyncio.create_task(self.sender.run(stop), name="sender"),
            asyncio.create_task(self.scheduler.run(stop), name="scheduler"),
            asyncio.create_task(self.relay.run(stop), name="relay"),
        ]
        try:
            await asyncio.gather(*tasks)
        finally:
            for t in tasks:
                t.cancel()
            with contextlib.suppress(BaseException):
                await asyncio.gather(*tasks, return_exceptions=True)
            await self.close()

    async def close(self) -> None:
        from taskflow.notifications import post_commit

        await post_commit.drain()
        with contextlib.suppress(Exception):
            await self.relay.close_broker()
        if self.caldav_client is not None:
            await self.caldav_client.aclose()
        await self.redis.aclose()
        await self.db.dispose()


def build_worker(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utcnow,
) -> Worker:
    """Wire the worker's parts (nothing connects until they run)."""
    db = Database(settings)
    # Async, with connect and read timeouts (taskflow.common.redis): the breakers share it.
    aredis = make_redis(settings)
    ctx = Context(settings=settings, redis=aredis, clock=clock)
    smtp_breaker = AsyncCircuitBreaker(
        "smtp",
        redis_client=aredis,
        redis_timeout=settings.redis_timeout,
        prefix=settings.redis_prefix,
        fail_max=settings.breaker_fail_max,
        reset_timeout=settings.breaker_reset_timeout,
        service=settings.service_name,
    )
    caldav: CaldavChannel | None = None
    caldav_breaker: AsyncCircuitBreaker | None = None
    caldav_client: ResilientClient | None = None
    if settings.caldav_url:
        caldav_breaker = AsyncCircuitBreaker(
            "caldav",
            redis_client=aredis,
            redis_timeout=settings.redis_timeout,
            prefix=settings.redis_prefix,
            fail_max=settings.breaker_fail_max,
            reset_timeout=settings.breaker_reset_timeout,
            service=settings.service_name,
        )
        auth = None
        if settings.caldav_username and settings.caldav_password:
            import base64

            raw = f"{settings.caldav_username}:{settings.caldav_password.get_secret_value()}"
            auth = {"Authorization": "Basic " + base64.b64encode(raw.encode()).decode()}
        caldav_client = ResilientClient(
            settings.caldav_url,
            breaker=caldav_breaker,
            attempts=settings.send_retry_attempts,
            timeout=settings.caldav_timeout,
            max_wait=settings.send_retry_wait_max,
            headers=auth,
        )
        caldav = CaldavChannel(caldav_client, settings.caldav_url)

    async def publish_failed(session: AsyncSession, event: NotificationDeliveryFailed) -> None:
        await OUTBOX.add(session, event, actor_id=None)

    sender = Sender(
        settings,
        db.sessionmaker,
        smtp_breaker=smtp_breaker,
        caldav=caldav,
        caldav_breaker=caldav_breaker,
        publish_failed=publish_failed,
        clock=clock,
    )
    ctx.wake_sender = sender.poke
    consumer = Consumer(
        settings.amqp_url.get_secret_value(),
        settings.events_exchange,
        queue_spec(settings),
        db.sessionmaker,
        inbox,
        handlers=handler_map(ctx),
    )
    relay = OutboxRelay(
        db.engine,
        outbox_rows,
        settings.amqp_url.get_secret_value(),
        settings.events_exchange,
        name="notifications.outbox",
    )
    return Worker(
        settings=settings,
        db=db,
        redis=aredis,
        ctx=ctx,
        consumer=consumer,
        sender=sender,
        scheduler=Scheduler(ctx, db.sessionmaker),
        relay=relay,
        caldav_client=caldav_client,
    )


async def run_worker(settings: Settings) -> None:
    """The `worker` command: run until SIGTERM/SIGINT."""
    stop = asyncio.Event()
    install_signal_handlers(stop)
    worker = build_worker(settings)
    log.info("worker_started", queue=QUEUE)
    await worker.run(stop)
    log.info("worker_stopped")
