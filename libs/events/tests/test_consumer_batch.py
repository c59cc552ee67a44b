"""Consumer batch mode on the real PostgreSQL and RabbitMQ: duplicates, poison, order, stop.

Messages are published before the consumer starts (the topology is declared first), so that
they are delivered together and really share a batch.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aio_pika
import pytest
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.events import (
    Consumer,
    Envelope,
    Event,
    QueueSpec,
    TaskCreated,
    TaskUpdated,
    declare_topology,
    list_parked,
)
from taskflow.events.examples import example, task_snapshot
from taskflow.events.ids import uuid7
from taskflow.testing import wait_until


@dataclass
class BatchHarness:
    consumer: Consumer
    spec: QueueSpec
    stop: asyncio.Event
    exchange: aio_pika.abc.AbstractExchange
    channel: aio_pika.abc.AbstractChannel
    task: asyncio.Task[None] | None = None
    failing: set[str] = field(default_factory=set)
    slow: dict[str, float] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    async def publish_event(self, event: Event, message_id: Any = None) -> Envelope:
        env = Envelope.wrap(event, source="taskflow/test", actor_id=None, id=message_id)
        await self.publish_bytes(env.to_bytes(), env.type, str(env.id))
        return env

    async def publish_bytes(self, body: bytes, key: str, message_id: str) -> None:
        await self.exchange.publish(
            aio_pika.Message(body, message_id=message_id, delivery_mode=2), routing_key=key
        )

    async def start(self) -> None:
        self.task = asyncio.create_task(self.consumer.run(self.stop))
        await asyncio.wait_for(self.consumer.ready.wait(), 30)

    async def ready_messages(self) -> int:
        queue = await self.channel.declare_queue(self.spec.name, passive=True)
        return int(queue.declaration_result.message_count or 0)


def _spec(batch_size: int, batch_wait_ms: int) -> QueueSpec:
    return QueueSpec(
        name=f"test.batch.{secrets.token_hex(4)}",
        bindings=("task.*",),
        max_attempts=2,
        retry_delays_ms=(100,),
        prefetch=max(32, batch_size),
        batch_size=batch_size,
        batch_wait_ms=batch_wait_ms,
    )


@pytest_asyncio.fixture
async def make_harness(
    clean_db: Any, amqp_url: str, exchange_name: str, amqp: Any
) -> AsyncIterator[Any]:
    db = clean_db
    made: list[BatchHarness] = []

    async def make(batch_size: int = 50, batch_wait_ms: int = 200) -> BatchHarness:
        spec = _spec(batch_size, batch_wait_ms)
        state: dict[str, BatchHarness] = {}

        async def handle(session: AsyncSession, envelope: Envelope, event: Event) -> None:
            h = state["h"]
            h.calls.append(str(envelope.id))
            if str(envelope.id) in h.slow:
                await asyncio.sleep(h.slow[str(envelope.id)])
            await session.execute(
                db.effects.insert().values(
                    event_id=envelope.id,
                    aggregate_id=event.aggregate_id(),
                    event_type=envelope.type,
                )
            )
            if str(envelope.id) in h.failing:
                raise RuntimeError("poison")

        consumer = Consumer(
            amqp_url,
            exchange_name,
            spec,
            db.sessionmaker,
            db.inbox,
            {"task.created": handle, "task.updated": handle},
        )
        channel = await amqp.channel(publisher_confirms=True)
        exchange = await declare_topology(channel, exchange_name, [spec])
        h = BatchHarness(consumer, spec, asyncio.Event(), exchange, channel)
        state["h"] = h
        made.append(h)
        return h

    yield make
    for h in made:
        h.stop.set()
        if h.task is not None:
            await asyncio.wait_for(h.task, 30)
        for name in [h.spec.name, h.spec.dlq, *(n for n, _ in h.spec.retry_queues)]:
            await h.channel.queue_delete(name)
        await h.channel.close()


async def effects(db: Any) -> list[Any]:
    async with db.engine.connect() as conn:
        return list((await conn.execute(select(db.effects).order_by(db.effects.c.n))).all())


def test_batch_spec_needs_prefetch_at_least_batch_size() -> None:
    with pytest.raises(ValueError, match="prefetch"):
        QueueSpec(name="q", bindings=("#",), prefetch=10, batch_size=20)


async def test_duplicates_in_a_batch_have_one_effect(clean_db: Any, make_harness: Any) -> None:
    # The batch closes when its 4th message arrives, never on the clock: a loaded machine
    # cannot split it.
    h: BatchHarness = await make_harness(batch_size=4, batch_wait_ms=30_000)
    first = await h.publish_event(example(TaskCreated))
    await h.publish_bytes(first.to_bytes(), first.type, str(first.id))  # redelivered copy
    second = await h.publish_event(example(TaskCreated))
    await h.publish_bytes(first.to_bytes(), first.type, str(first.id))  # and again, later
    await h.start()
    await wait_until(lambda: h.consumer.handled + h.consumer.duplicates == 4, timeout=30)
    assert (h.consumer.handled, h.consumer.duplicates) == (2, 2)
    assert h.consumer.batches == 1
    assert h.consumer.fallbacks == 0
    assert [r.event_id for r in await effects(clean_db)] == [first.id, second.id]
    async with clean_db.engine.connect() as conn:
        inbox = (await conn.execute(select(clean_db.inbox))).all()
    assert {r.event_id for r in inbox} == {first.id, second.id}
    assert await h.ready_messages() == 0


async def test_poison_message_in_a_batch_is_parked_alone(
    clean_db: Any, make_harness: Any, amqp_url: str
) -> None:
    h: BatchHarness = await make_harness(batch_size=6, batch_wait_ms=3_000)  # all 6 at once
    envs = [await h.publish_event(example(TaskCreated)) for _ in range(5)]
    bad = envs[2]
    h.failing.add(str(bad.id))
    malformed_id = "m-bad"
    await h.publish_bytes(b"not json", "task.created", malformed_id)
    await h.start()
    await wait_until(lambda: h.consumer.parked == 2, timeout=30)
    assert h.consumer.fallbacks == 1
    assert h.consumer.handled == 4
    rows = await effects(clean_db)
    good = [e.id for e in envs if e is not bad]
    assert [r.event_id for r in rows] == good  # each once, in delivery order, poison absent
    parked = {p.message_id: p for p in await list_parked(amqp_url, h.spec.name)}
    assert set(parked) == {str(bad.id), malformed_id}
    assert parked[str(bad.id)].error == "RuntimeError: poison"
    assert parked[str(bad.id)].attempts == 2  # the failed batch did not use up an attempt
    assert h.calls.count(str(bad.id)) == 3  # the batch, then max_attempts alone


async def test_events_are_applied_in_delivery_order_across_batches(
    clean_db: Any, make_harness: Any
) -> None:
    h: BatchHarness = await make_harness(batch_size=8)
    aggregate = uuid7()
    envs = [
        await h.publish_event(
            TaskUpdated(task=task_snapshot(task_id=aggregate, version=v), changes={})
        )
        for v in range(1, 31)
    ]
    await h.start()
    await wait_until(lambda: h.consumer.handled == 30, timeout=30)
    assert [r.event_id for r in await effects(clean_db)] == [e.id for e in envs]
    assert h.calls == [str(e.id) for e in envs]
    assert h.consumer.batches >= 4  # 30 messages, at most 8 per batch


async def test_graceful_stop_handles_the_partial_batch(clean_db: Any, make_harness: Any) -> None:
    # A long wait for more: only the stop can end this batch early.
    h: BatchHarness = await make_harness(batch_size=50, batch_wait_ms=30_000)
    envs = [await h.publish_event(example(TaskCreated)) for _ in range(3)]
    await h.start()

    async def all_delivered() -> bool:  # none left ready: all three are in the consumer's hand
        return await h.ready_messages() == 0

    await wait_until(all_delivered, timeout=30)
    assert h.consumer.handled == 0  # still collecting
    h.stop.set()
    assert h.task is not None
    await asyncio.wait_for(h.task, 30)
    # The broker may count a message as delivered while it still sits in the client's buffers,
    # not yet in the batch: the stop handles the batch in hand (without waiting out the 30 s)
    # and returns the rest to the queue unacked. Nothing is lost and nothing is handled twice.
    handled = h.consumer.handled
    assert handled >= 1
    assert [r.event_id for r in await effects(clean_db)] == [e.id for e in envs[:handled]]

    # The rest went back to the queue unacked: a consumer started afterwards applies exactly
    # them, each once. (Not asserted through the queue's ready count: on a loaded machine the
    # broker was seen to report the nacked rest as ready only after 10-30 s, while
    # nothing was lost; what a user meets is that the next consumer gets them.)
    again = Consumer(
        h.consumer.amqp_url,
        h.consumer.exchange,
        dataclasses.replace(h.spec, batch_wait_ms=200),
        clean_db.sessionmaker,
        clean_db.inbox,
        h.consumer.handlers,
    )
    stop_again = asyncio.Event()
    task = asyncio.create_task(again.run(stop_again))
    try:
        await wait_until(lambda: again.handled == 3 - handled, timeout=90)
    finally:
        stop_again.set()
        await asyncio.wait_for(task, 30)
    assert [r.event_id for r in await effects(clean_db)] == [e.id for e in envs]
