"""Redis stalled (issue 16, fault 4): the notifications worker keeps consuming and acking.

Redis holds the live fan-out (pub/sub), the unread-count cache and the breakers' shared state;
none of them is needed to record a notification, so a Redis that accepts connections and never
answers (the TCP fault proxy's stall) must cost each use at most `redis_timeout`, and events
must keep flowing: every event is handled and acked (nothing parked, nothing left in the
queue), its notification stored and its mail sent (the breaker degrades to local state). When
Redis answers again the worker uses it again without a restart. The APIs' side of this fault
is in `tasks/tests/resilience/test_redis_stalled.py`, `auth/tests/test_redis_down.py` and
`libs/common/tests/test_degraded.py`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import aio_pika
import pytest
from notifications_testkit import created, publish, snapshot, uid, user
from pydantic import SecretStr
from sqlalchemy import func, select

from taskflow.notifications.notifications.models import Notification
from taskflow.notifications.worker import QUEUE, build_worker
from taskflow.testing import wait_until
from taskflow.testing.faults import TcpProxy, open_proxy

pytestmark = pytest.mark.timeout(60)

REDIS_TIMEOUT = 0.3
EVENTS = 10


@pytest.fixture
async def redis_proxy(redis_url: str) -> AsyncIterator[TcpProxy]:
    parts = urlsplit(redis_url)
    proxy = await open_proxy(parts.hostname or "127.0.0.1", parts.port or 6379, connect_timeout=2)
    try:
        yield proxy
    finally:
        await proxy.close()


async def _notifications(sessionmaker: Any) -> int:
    async with sessionmaker() as s:
        return int(await s.scalar(select(func.count()).select_from(Notification)) or 0)


async def _queued(amqp_url: str) -> int:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(QUEUE, passive=True)
        return int(queue.declaration_result.message_count or 0)


async def test_stalled_redis_does_not_stop_the_consumer(
    settings: Any,
    sessionmaker: Any,
    smtp_sink: Any,
    redis_proxy: TcpProxy,
    redis_url: str,
) -> None:
    s = settings.model_copy(
        update={
            "redis_url": SecretStr(redis_proxy.url_for(redis_url)),
            "redis_timeout": REDIS_TIMEOUT,
        }
    )
    worker = build_worker(s)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    amqp = settings.amqp_url.get_secret_value()

    async def send(event: Any, actor: Any = None) -> None:
        from taskflow.events.envelope import Envelope

        env = Envelope.wrap(event, source="taskflow/tests", actor_id=actor)
        await publish(amqp, settings.events_exchange, env.to_bytes(), env.type, str(env.id))

    try:
        await asyncio.wait_for(worker.consumer.ready.wait(), 20)
        alice, actor, project = uid(), uid(), uid()
        await send(user(alice))
        await send(user(actor, name="Carol"))
        await send(created(snapshot(uid(), project, creator=actor, assignees=[alice])), actor)
        await wait_until(lambda: _notifications(sessionmaker), timeout=20)
        await smtp_sink.wait_for(lambda m: True, timeout=20)
        handled_before = worker.consumer.handled

        await redis_proxy.stall()
        started = time.monotonic()
        for i in range(EVENTS):
            snap = snapshot(uid(), project, creator=actor, assignees=[alice], title=f"Stall {i}")
            await send(created(snap), actor)

        # Each event may cost a Redis timeout or two (fan-out, unread count), never more.
        await wait_until(
            lambda: worker.consumer.handled >= handled_before + EVENTS,
            timeout=EVENTS * 3 * REDIS_TIMEOUT + 10,
        )
        consumed = time.monotonic() - started
        assert worker.consumer.parked == 0
        assert worker.consumer.retried == 0
        assert await _notifications(sessionmaker) == 1 + EVENTS

        async def drained() -> bool:
            return await _queued(amqp) == 0

        await wait_until(drained, timeout=10)  # every message acked
        # The mails go out too: the breaker's shared state is unreachable, its local one works.
        await wait_until(lambda: len(smtp_sink.messages()) >= 1 + EVENTS, timeout=20)

        await redis_proxy.restore()
        healed = time.monotonic()
        snap = snapshot(uid(), project, creator=actor, assignees=[alice], title="After")
        await send(created(snap), actor)
        await wait_until(lambda: worker.consumer.handled >= handled_before + EVENTS + 1)
        # Redis is used again: the breaker's state is back in it.
        assert await worker.sender.smtp_breaker.current_state() == "closed"
        await wait_until(lambda: len(smtp_sink.messages()) >= 2 + EVENTS, timeout=20)
        assert len(smtp_sink.messages()) == 2 + EVENTS
        print(
            f"\nredis stall figures: {EVENTS} events consumed in {consumed:.2f} s with Redis "
            f"stalled, parked 0, lost 0, normal {time.monotonic() - healed:.2f} s after it answered"
        )
    finally:
        stop.set()
        await redis_proxy.restore()
        await asyncio.wait_for(running, 30)
