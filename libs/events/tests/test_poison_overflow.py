"""Poison and overflow on the real RabbitMQ and PostgreSQL (issue 16, fault 5).

* one message whose handler always fails, among 1,000 good ones, is parked after its retries
  and the 1,000 are applied once each;
* a parking queue at its length limit refuses a park (reject-publish): the consumer keeps the
  message, counts it (``taskflow_events_park_refused_total``) and parks it once there is room;
* the broker's own dead-lettering (delivery limit) into a full DLQ is at-least-once: the
  message waits in its queue instead of being dropped;
* a queue declared before these arguments is kept as it is (no 406 loop) and flagged;
* an unroutable outbox row backs off (and is counted) instead of being re-sent in every batch.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import aio_pika
import pytest
import pytest_asyncio
from prometheus_client import REGISTRY
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.events import Consumer, Envelope, Event, Outbox, OutboxRelay, QueueSpec, TaskCreated
from taskflow.events.examples import example, task_snapshot
from taskflow.events.ids import uuid7
from taskflow.events.relay import Backoff
from taskflow.events.topology import declare_exchange, declare_queue
from taskflow.testing import rabbitmq_node, wait_until
from taskflow.testing.rabbitmq_node import RabbitNode

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(90)]

GOOD = 1_000


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def envelope(task_id: Any = None) -> Envelope:
    event = TaskCreated(task=task_snapshot(task_id=task_id or uuid7()))
    return Envelope.wrap(event, source="taskflow/test", actor_id=None)


def message(env: Envelope) -> aio_pika.Message:
    return aio_pika.Message(env.to_bytes(), message_id=str(env.id), delivery_mode=2)


@pytest_asyncio.fixture
async def channel(amqp: Any) -> AsyncIterator[aio_pika.abc.AbstractChannel]:
    ch = await amqp.channel(publisher_confirms=True)
    yield ch
    await ch.close()


@pytest_asyncio.fixture
async def cleanup(channel: Any) -> AsyncIterator[list[QueueSpec]]:
    """Specs whose queues are deleted after the test (the session's vhost is shared)."""
    specs: list[QueueSpec] = []
    yield specs
    for spec in specs:
        for name in [spec.name, spec.dlq, *(n for n, _ in spec.retry_queues)]:
            await channel.queue_delete(name)


def make_consumer(
    db: Any, amqp_url: str, exchange: str, spec: QueueSpec, poison: set[str]
) -> Consumer:
    async def handle(session: AsyncSession, envelope: Envelope, event: Event) -> None:
        await session.execute(
            db.effects.insert().values(
                event_id=envelope.id, aggregate_id=event.aggregate_id(), event_type=envelope.type
            )
        )
        if str(envelope.id) in poison:
            raise ValueError("this one always fails")

    consumer = Consumer(
        amqp_url, exchange, spec, db.sessionmaker, db.inbox, {"task.created": handle}
    )
    consumer.park_backoff = Backoff(base=0.1, cap=0.5)  # the test's patience, not production's
    return consumer


async def effect_ids(db: Any) -> list[Any]:
    async with db.engine.connect() as conn:
        return list((await conn.execute(select(db.effects.c.event_id))).scalars())


async def queue_messages(channel: Any, name: str) -> list[aio_pika.abc.AbstractIncomingMessage]:
    """Every message in ``name``, taken and put back (the queue is left as it was)."""
    queue = await channel.get_queue(name)
    got = []
    while (m := await queue.get(no_ack=False, fail=False, timeout=5)) is not None:
        got.append(m)
    for m in reversed(got):
        await m.nack(requeue=True)
    return got


async def run(consumer: Consumer) -> tuple[asyncio.Event, asyncio.Task[None]]:
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    await asyncio.wait_for(consumer.ready.wait(), 30)
    return stop, task


async def test_poison_among_a_thousand_is_parked_and_the_rest_applied_once(
    clean_db: Any, amqp_url: str, exchange_name: str, channel: Any, cleanup: list[QueueSpec]
) -> None:
    spec = QueueSpec(
        name=f"test.poison.{secrets.token_hex(4)}",
        bindings=("task.*",),
        max_attempts=3,
        retry_delays_ms=(100, 200),
        prefetch=64,
        batch_size=32,
    )
    cleanup.append(spec)
    poison = envelope()
    consumer = make_consumer(clean_db, amqp_url, exchange_name, spec, {str(poison.id)})
    stop, task = await run(consumer)
    try:
        exchange = await channel.get_exchange(exchange_name)
        good = [envelope() for _ in range(GOOD)]
        for i, env in enumerate(good):
            if i == GOOD // 2:
                await exchange.publish(message(poison), routing_key=poison.type)
            await exchange.publish(message(env), routing_key=env.type)
        await wait_until(lambda: consumer.parked == 1 and consumer.handled == GOOD, timeout=60)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
    ids = await effect_ids(clean_db)
    assert len(ids) == GOOD == len(set(ids))  # the poison's attempts rolled back
    assert set(ids) == {e.id for e in good}
    parked = await queue_messages(channel, spec.dlq)
    assert [m.message_id for m in parked] == [str(poison.id)]
    assert (parked[0].headers or {})["x-attempts"] == 3


async def test_full_parking_queue_refuses_and_nothing_is_dropped(
    clean_db: Any, amqp_url: str, exchange_name: str, channel: Any, cleanup: list[QueueSpec]
) -> None:
    spec = QueueSpec(
        name=f"test.full.{secrets.token_hex(4)}",
        bindings=("task.*",),
        max_attempts=1,
        retry_delays_ms=(100,),
        dlq_max_length=2,
        prefetch=16,
    )
    cleanup.append(spec)
    ex = await declare_exchange(channel, exchange_name)
    await declare_queue(channel, ex, spec)
    fillers = [envelope() for _ in range(2)]
    for env in fillers:  # the DLQ at its limit before the consumer starts
        await channel.default_exchange.publish(message(env), routing_key=spec.dlq)
    refused_before = metric("taskflow_events_park_refused_total", queue=spec.name)
    poison = envelope()
    good = [envelope() for _ in range(50)]
    await ex.publish(message(poison), routing_key=poison.type)
    for env in good:
        await ex.publish(message(env), routing_key=env.type)
    consumer = make_consumer(clean_db, amqp_url, exchange_name, spec, {str(poison.id)})
    stop, task = await run(consumer)
    try:
        await wait_until(lambda: consumer.park_refused >= 2 and consumer.handled == 50, timeout=30)
        assert metric("taskflow_events_park_refused_total", queue=spec.name) > refused_before
        assert consumer.parked == 0
        # Room again (an admin replayed or removed parked messages): the poison is parked.
        dlq = await channel.get_queue(spec.dlq)
        for _ in fillers:
            taken = await dlq.get(no_ack=False, timeout=5)
            await taken.ack()
        await wait_until(lambda: consumer.parked == 1, timeout=30)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
    assert [m.message_id for m in await queue_messages(channel, spec.dlq)] == [str(poison.id)]
    assert set(await effect_ids(clean_db)) == {e.id for e in good}


@pytest.fixture
def quick_dlx_node() -> Iterator[RabbitNode]:
    """A private node whose dead-letter worker re-sends a refused message after 1 s, not 2 min.

    The shared node keeps RabbitMQ's default, which is right for production and far too long
    for a test.
    """
    reason = rabbitmq_node.available()
    if reason:
        pytest.skip(reason)
    node = RabbitNode(
        advanced_config="[{rabbit, [{dead_letter_worker_publisher_confirm_timeout, 1000}]}].\n"
    )
    try:
        yield node.start()
    finally:
        node.destroy()


async def test_broker_dead_lettering_into_a_full_dlq_keeps_the_message(
    exchange_name: str, quick_dlx_node: RabbitNode
) -> None:
    # A message that kills its consumer every time reaches the delivery limit, and the broker
    # dead-letters it itself. With the DLQ full, at-most-once (RabbitMQ's default) drops it.
    connection = await aio_pika.connect(quick_dlx_node.url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await _dead_letter_into_full_dlq(channel, exchange_name)


async def _dead_letter_into_full_dlq(channel: Any, exchange_name: str) -> None:
    spec = QueueSpec(
        name=f"test.dlx.{secrets.token_hex(4)}",
        bindings=("x.y",),
        dlq_max_length=1,
        single_active_consumer=False,  # basic.get is refused on a single-active-consumer queue
    )
    ex = await declare_exchange(channel, exchange_name)
    queue = await declare_queue(channel, ex, spec)
    filler, victim = envelope(), envelope()
    await channel.default_exchange.publish(message(filler), routing_key=spec.dlq)
    await channel.default_exchange.publish(message(victim), routing_key=spec.name)
    deliveries = 0
    while (m := await queue.get(no_ack=False, fail=False, timeout=5)) is not None:
        deliveries += 1
        await m.nack(requeue=True)  # what a consumer that crashes mid-message amounts to
        assert deliveries <= spec.delivery_limit + 1
        if deliveries > spec.delivery_limit:
            await asyncio.sleep(0.2)
    assert deliveries == spec.delivery_limit + 1  # then the broker took it away
    dlq = await channel.get_queue(spec.dlq)
    taken = await dlq.get(no_ack=False, timeout=5)
    assert taken.message_id == str(filler.id)
    await taken.ack()  # room in the DLQ now: the broker delivers what it kept

    async def parked() -> bool:
        found = await queue_messages(channel, spec.dlq)
        return [m.message_id for m in found] == [str(victim.id)]

    await wait_until(parked, timeout=30, message="the dead-lettered message reaches the DLQ")


async def test_queue_declared_with_older_arguments_is_kept_and_flagged(
    clean_db: Any, amqp_url: str, exchange_name: str, channel: Any, cleanup: list[QueueSpec]
) -> None:
    spec = QueueSpec(name=f"test.old.{secrets.token_hex(4)}", bindings=("task.*",))
    cleanup.append(spec)
    # The queue and DLQ as the previous release declared them.
    await channel.declare_queue(spec.dlq, durable=True, arguments={"x-queue-version": 2})
    await channel.declare_queue(
        spec.name,
        durable=True,
        arguments={
            "x-queue-type": "quorum",
            "x-delivery-limit": spec.delivery_limit,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": spec.dlq,
            "x-single-active-consumer": True,
        },
    )
    consumer = make_consumer(clean_db, amqp_url, exchange_name, spec, set())
    stop, task = await run(consumer)  # no 406 loop: it consumes
    try:
        assert metric("taskflow_events_queue_outdated", queue=spec.name) == 1
        assert metric("taskflow_events_queue_outdated", queue=spec.dlq) == 1
        exchange = await channel.get_exchange(exchange_name)
        env = envelope()
        await exchange.publish(message(env), routing_key=env.type)
        await wait_until(lambda: consumer.handled == 1, timeout=30)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def test_unroutable_outbox_row_backs_off_and_raises_the_metric(
    clean_db: Any,
    amqp_url: str,
    exchange_name: str,
    collector: Callable[..., Awaitable[Any]],
) -> None:
    db = clean_db
    got = await collector("task.created")  # nobody is bound to task.updated
    outbox = Outbox(db.outbox, "taskflow/test")
    relay = OutboxRelay(db.engine, db.outbox, amqp_url, exchange_name, name="unroutable-test")
    async with db.sessionmaker() as session, session.begin():
        orphan = await outbox.add(session, example(TaskCreated), actor_id=None)
    async with db.engine.begin() as conn:  # same row, a routing key no queue is bound to
        await conn.execute(
            db.outbox.update()
            .where(db.outbox.c.event_id == orphan.id)
            .values(routing_key="task.orphaned")
        )
    returns_before = metric(
        "taskflow_outbox_publish_failures_total", outbox="unroutable-test", reason="unroutable"
    )
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    sent = 0
    try:
        # Steady traffic for 5 s: every commit wakes the relay, which used to send the
        # unroutable row again each time (hundreds of attempts).
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        while loop.time() < deadline:
            async with db.sessionmaker() as session, session.begin():
                # Other aggregates: the orphan's own later events wait behind it, in order.
                await outbox.add(session, envelope().event(), actor_id=None)
            sent += 1
            await asyncio.sleep(0.02)
        await wait_until(lambda: len(got.messages) == sent, timeout=30)
        assert metric("taskflow_outbox_unroutable_rows", outbox="unroutable-test") == 1
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
    async with db.engine.connect() as conn:
        row = (await conn.execute(select(db.outbox).where(db.outbox.c.event_id == orphan.id))).one()
        pending = (
            await conn.execute(
                select(func.count())
                .select_from(db.outbox)
                .where(db.outbox.c.published_at.is_(None))
            )
        ).scalar_one()
    assert row.published_at is None
    assert "unroutable" in row.last_error
    # Held 1 s, 2 s, 4 s ...: at most 4 tries in 5 s (not one per batch).
    assert 1 <= row.attempts <= 4, row.attempts
    assert pending == 1
    returns = metric(
        "taskflow_outbox_publish_failures_total", outbox="unroutable-test", reason="unroutable"
    )
    assert returns - returns_before == row.attempts
