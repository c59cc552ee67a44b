"""Consumer framework on the real PostgreSQL and RabbitMQ: inbox, retries, parking, replay."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aio_pika
import orjson
import pytest_asyncio
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.events import (
    Consumer,
    Envelope,
    Event,
    Outbox,
    OutboxRelay,
    QueueSpec,
    TaskCreated,
    TaskUpdated,
    UserPasswordResetRequested,
    list_parked,
    replay_parked,
)
from taskflow.events.examples import example, task_snapshot
from taskflow.events.ids import uuid7
from taskflow.testing import wait_until


@dataclass
class Harness:
    consumer: Consumer
    spec: QueueSpec
    stop: asyncio.Event
    task: asyncio.Task[None]
    exchange: aio_pika.abc.AbstractExchange
    channel: aio_pika.abc.AbstractChannel
    failing: set[str] = field(default_factory=set)
    slow: dict[str, float] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    async def publish(self, body: bytes, key: str, message_id: str | None = None) -> None:
        await self.exchange.publish(
            aio_pika.Message(body, message_id=message_id, delivery_mode=2), routing_key=key
        )

    async def publish_event(self, event: Event, message_id: Any = None) -> Envelope:
        env = Envelope.wrap(event, source="taskflow/test", actor_id=None, id=message_id)
        await self.publish(env.to_bytes(), env.type, str(env.id))
        return env


@pytest_asyncio.fixture
async def harness(
    clean_db: Any, amqp_url: str, exchange_name: str, amqp: Any
) -> AsyncIterator[Harness]:
    db = clean_db
    spec = QueueSpec(
        name=f"test.{secrets.token_hex(4)}",
        bindings=("task.*", "user.#"),
        max_attempts=3,
        retry_delays_ms=(100, 200),
        prefetch=10,
    )
    state: dict[str, Harness] = {}

    async def handle(session: AsyncSession, envelope: Envelope, event: Event) -> None:
        h = state["h"]
        h.calls.append(str(envelope.id))
        if str(envelope.id) in h.slow:
            await asyncio.sleep(h.slow[str(envelope.id)])
        await session.execute(
            db.effects.insert().values(
                event_id=envelope.id, aggregate_id=event.aggregate_id(), event_type=envelope.type
            )
        )
        if str(envelope.id) in h.failing:
            raise RuntimeError("boom at amqp://user:secret@host/")

    consumer = Consumer(
        amqp_url,
        exchange_name,
        spec,
        db.sessionmaker,
        db.inbox,
        {"task.created": handle, "task.updated": handle},
    )
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    await asyncio.wait_for(consumer.ready.wait(), 30)
    channel = await amqp.channel(publisher_confirms=True)
    exchange = await channel.get_exchange(exchange_name)
    h = Harness(consumer, spec, stop, task, exchange, channel)
    state["h"] = h
    yield h
    stop.set()
    await asyncio.wait_for(task, 30)
    for name in [spec.name, spec.dlq, *(n for n, _ in spec.retry_queues)]:
        await channel.queue_delete(name)
    await channel.close()


async def effects(db: Any) -> list[Any]:
    async with db.engine.connect() as conn:
        return list((await conn.execute(select(db.effects).order_by(db.effects.c.n))).all())


async def test_duplicate_delivery_has_one_effect(clean_db: Any, harness: Harness) -> None:
    event = example(TaskCreated)
    env = await harness.publish_event(event)
    await harness.publish(env.to_bytes(), env.type, str(env.id))  # redelivered by the broker
    await wait_until(
        lambda: harness.consumer.handled + harness.consumer.duplicates == 2, timeout=30
    )
    assert harness.consumer.handled == 1
    assert harness.consumer.duplicates == 1
    assert [r.event_id for r in await effects(clean_db)] == [env.id]
    async with clean_db.engine.connect() as conn:
        inbox = (await conn.execute(select(clean_db.inbox))).all()
    assert [(r.event_id, r.queue) for r in inbox] == [(env.id, harness.spec.name)]


async def test_failing_message_is_retried_then_parked_and_replayed(
    clean_db: Any, harness: Harness, amqp_url: str
) -> None:
    bad = await harness.publish_event(TaskUpdated(task=task_snapshot(task_id=uuid7()), changes={}))
    harness.failing.add(str(bad.id))
    await asyncio.sleep(0)
    good = await harness.publish_event(example(TaskCreated))
    await wait_until(lambda: harness.consumer.parked == 1, timeout=30)
    assert harness.calls.count(str(bad.id)) == 3  # max_attempts
    assert harness.consumer.retried == 2
    assert harness.consumer.handled == 1  # the consumer went on with the next message
    rows = await effects(clean_db)
    assert [r.event_id for r in rows] == [good.id]  # the failed attempts rolled back

    parked = await list_parked(amqp_url, harness.spec.name)
    assert len(parked) == 1
    item = parked[0]
    assert item.message_id == str(bad.id)
    assert item.attempts == 3
    assert item.error.startswith("RuntimeError: boom")
    assert "secret" not in item.error
    assert item.routing_key == "task.updated"
    assert item.parked_at is not None
    assert item.envelope is not None
    assert item.envelope["id"] == str(bad.id)
    # Listing left it in place.
    assert len(await list_parked(amqp_url, harness.spec.name)) == 1

    harness.failing.clear()
    assert await replay_parked(amqp_url, harness.spec.name, message_ids=["nope"]) == 0
    assert await replay_parked(amqp_url, harness.spec.name, message_ids=[str(bad.id)]) == 1
    await wait_until(lambda: harness.consumer.handled == 2, timeout=30)
    assert {r.event_id for r in await effects(clean_db)} == {good.id, bad.id}
    assert await list_parked(amqp_url, harness.spec.name) == []


async def test_malformed_messages_are_parked_with_a_reason(
    clean_db: Any, harness: Harness, amqp_url: str
) -> None:
    valid = Envelope.wrap(example(TaskCreated), source="s", actor_id=None).to_dict()
    unknown = dict(valid, type="task.exploded", dataschema="taskflow/task.exploded/v1")
    wrong = dict(valid, data={"task": {"title": 3}})
    await harness.publish(b"\x00not json", "task.created", "m-1")
    await harness.publish(orjson.dumps(unknown), "task.created", "m-2")
    await harness.publish(orjson.dumps(wrong), "task.created", "m-3")
    await harness.publish(orjson.dumps({"hello": "world"}), "task.created", "m-4")
    reset = Envelope.wrap(example(UserPasswordResetRequested), source="s", actor_id=None)
    await harness.publish(reset.to_bytes(), reset.type, "m-5")  # bound, but no handler
    ok = await harness.publish_event(example(TaskCreated))
    await wait_until(lambda: harness.consumer.parked == 5 and harness.consumer.handled == 1)
    assert not harness.task.done()
    parked = {p.message_id: p for p in await list_parked(amqp_url, harness.spec.name)}
    assert parked["m-1"].error == "body is not JSON"
    assert parked["m-1"].body_preview is not None
    assert "unknown event type 'task.exploded'" in parked["m-2"].error
    assert "data does not match taskflow/task.created/v1" in parked["m-3"].error
    assert "not a CloudEvents envelope" in parked["m-4"].error
    assert "no handler" in parked["m-5"].error
    assert parked["m-5"].envelope["data"]["reset_url"] == "[redacted]"  # type: ignore[index]
    assert all(p.attempts == 0 for p in parked.values())
    assert [r.event_id for r in await effects(clean_db)] == [ok.id]


async def test_graceful_stop_finishes_the_message_in_hand(
    clean_db: Any, harness: Harness, amqp_url: str
) -> None:
    event_id = uuid7()
    harness.slow[str(event_id)] = 0.5
    await harness.publish_event(example(TaskCreated), message_id=event_id)
    await wait_until(lambda: str(event_id) in harness.calls)
    harness.stop.set()  # as SIGTERM would, while the handler is running
    await asyncio.wait_for(harness.task, 30)
    assert [r.event_id for r in await effects(clean_db)] == [event_id]
    queue = await harness.channel.declare_queue(harness.spec.name, passive=True)
    assert queue.declaration_result.message_count == 0  # acked, not redelivered


async def test_outbox_to_consumer_end_to_end(
    clean_db: Any, harness: Harness, amqp_url: str, exchange_name: str
) -> None:
    db = clean_db
    outbox = Outbox(db.outbox, "taskflow/test")
    relay = OutboxRelay(db.engine, db.outbox, amqp_url, exchange_name)
    aggregate = uuid7()
    async with db.sessionmaker() as session, session.begin():
        for version in range(1, 201):
            await outbox.add(
                session,
                TaskUpdated(task=task_snapshot(task_id=aggregate, version=version), changes={}),
                actor_id=None,
            )
    try:
        while await relay.publish_batch():
            pass
    finally:
        await relay.close_broker()
    await wait_until(lambda: harness.consumer.handled == 200, timeout=60)
    async with db.engine.connect() as conn:
        count = (await conn.execute(select(func.count()).select_from(db.effects))).scalar_one()
    assert count == 200
