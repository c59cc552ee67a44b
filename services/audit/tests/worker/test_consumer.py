"""The worker on the real broker: every event recorded once, redacted; bad ones parked."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import aio_pika
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from taskflow.audit.chain.store import verify
from taskflow.audit.consumer import BatchConsumer
from taskflow.audit.db import inbox
from taskflow.audit.worker import queue_spec
from taskflow.events import Envelope, list_parked
from taskflow.events.contracts import TaskCreated, UserPasswordResetRequested
from taskflow.events.examples import example, examples
from taskflow.events.topology import QueueSpec, declare_exchange, declare_queue
from taskflow.testing import wait_until

pytestmark = pytest.mark.usefixtures("clean")


class Running:
    """Consumers started by a test on its own queue; stopped and cleaned up afterwards."""

    def __init__(self, settings: Any, owner_engine: AsyncEngine, amqp_url: str) -> None:
        base = queue_spec(settings)
        self.settings = settings
        self.amqp_url = amqp_url
        self.sessionmaker = async_sessionmaker(owner_engine, expire_on_commit=False)
        self.base = base
        self.name = f"audit.events.{uuid.uuid4().hex[:8]}"
        self.spec = self.make_spec(base.batch_size)
        self.running: list[tuple[asyncio.Event, asyncio.Task[None]]] = []

    def make_spec(self, batch_size: int) -> QueueSpec:
        """The worker's spec (batch mode) on this test's own queue, with short retries."""
        return QueueSpec(
            name=self.name,
            bindings=self.base.bindings,
            prefetch=self.base.prefetch,
            max_attempts=2,
            retry_delays_ms=(50,),
            batch_size=batch_size,
            batch_wait_ms=self.base.batch_wait_ms,
        )

    async def start(
        self,
        batch_size: int | None = None,
        prepare: Callable[[BatchConsumer, asyncio.Event], None] | None = None,
    ) -> tuple[BatchConsumer, asyncio.Event]:
        consumer = BatchConsumer(
            self.amqp_url,
            self.settings.events_exchange,
            self.make_spec(batch_size or self.settings.batch_size),
            self.sessionmaker,
            inbox,
            redact=self.settings.redaction,
        )
        stop = asyncio.Event()
        if prepare is not None:
            prepare(consumer, stop)
        task = asyncio.create_task(consumer.run(stop))
        self.running.append((stop, task))
        await asyncio.wait_for(consumer.ready.wait(), 10)
        return consumer, stop

    async def declare(self) -> None:
        """The queue and its bindings, before any consumer runs (to build a backlog)."""
        connection = await aio_pika.connect(self.amqp_url)
        async with connection:
            channel = await connection.channel()
            ex = await declare_exchange(channel, self.settings.events_exchange)
            await declare_queue(channel, ex, self.spec)

    async def close(self) -> None:
        for stop, task in self.running:
            stop.set()
            await asyncio.wait_for(task, 10)
        connection = await aio_pika.connect(self.amqp_url)
        async with connection:
            channel = await connection.channel()
            for name in (self.spec.name, self.spec.dlq, *(q for q, _ in self.spec.retry_queues)):
                await channel.queue_delete(name)


@pytest.fixture
async def consumers(
    settings: Any, owner_engine: AsyncEngine, amqp_url: str
) -> AsyncIterator[Running]:
    running = Running(settings, owner_engine, amqp_url)
    yield running
    await running.close()


@pytest.fixture
async def worker(consumers: Running) -> BatchConsumer:
    """A running consumer on a queue of its own (so tests never see each other's messages)."""
    consumer, _ = await consumers.start()
    return consumer


async def publish(amqp_url: str, exchange: str, bodies: list[tuple[str, bytes]]) -> None:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        ex = await channel.get_exchange(exchange)
        for start in range(0, len(bodies), 200):  # confirms awaited 200 at a time
            await asyncio.gather(
                *(
                    ex.publish(
                        aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                        routing_key=key,
                    )
                    for key, body in bodies[start : start + 200]
                )
            )


def wire(env: Envelope) -> tuple[str, bytes]:
    return env.type, env.to_bytes()


async def count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT count(*) FROM audit.entries"))).scalar_one())


async def test_every_event_recorded_once_and_redacted(
    worker: BatchConsumer, settings: Any, amqp_url: str, api_engine: AsyncEngine
) -> None:
    actor = uuid.uuid4()
    envs = [Envelope.wrap(e, source="taskflow/test", actor_id=actor) for e in examples()]
    reset = next(e for e in envs if e.type == UserPasswordResetRequested.event_type)
    await publish(amqp_url, settings.events_exchange, [wire(e) for e in envs] + [wire(envs[0])])
    await wait_until(lambda: worker.handled + worker.duplicates >= len(envs) + 1, timeout=10)
    assert worker.handled == len(envs)
    assert worker.duplicates == 1
    assert await count(api_engine) == len(envs)

    async with api_engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT payload::text, actor_id, type FROM audit.entries WHERE event_id = :i"),
                {"i": reset.id},
            )
        ).one()
        assert json.loads(row[0])["reset_url"] == "[redacted]"
        assert "https://" not in row[0]
        assert row[1] == actor
        task = next(e for e in envs if e.type == TaskCreated.event_type)
        project = (
            await conn.execute(
                text("SELECT project_id FROM audit.entries WHERE event_id = :i"), {"i": task.id}
            )
        ).scalar_one()
        assert project == example(TaskCreated).project_id
        result = await verify(conn)
        inboxed = (
            await conn.execute(
                text("SELECT count(*) FROM audit.inbox WHERE event_id = ANY(:ids) AND queue = :q"),
                {"ids": [e.id for e in envs], "q": worker.spec.name},
            )
        ).scalar_one()
    assert result.ok
    assert result.checked == len(envs)
    assert inboxed == len(envs)  # the batch's inbox rows committed with its entries


async def test_an_entry_keeps_the_trace_of_the_request_behind_its_event(
    worker: BatchConsumer, settings: Any, amqp_url: str, api_engine: AsyncEngine
) -> None:
    traced = Envelope.wrap(example(TaskCreated), source="taskflow/test", actor_id=None).model_copy(
        update={"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}
    )
    bare = Envelope.wrap(example(TaskCreated), source="taskflow/test", actor_id=None).model_copy(
        update={"traceparent": None}
    )
    await publish(amqp_url, settings.events_exchange, [wire(traced), wire(bare)])
    await wait_until(lambda: worker.handled >= 2, timeout=10)
    async with api_engine.connect() as conn:
        rows = dict(
            (await conn.execute(text("SELECT event_id, trace_id FROM audit.entries"))).all()
        )
    assert rows == {traced.id: "4bf92f3577b34da6a3ce929d0e0e4736", bare.id: None}


async def test_malformed_and_poison_messages_are_parked_not_recorded_half(
    worker: BatchConsumer, settings: Any, amqp_url: str, api_engine: AsyncEngine
) -> None:
    good = [Envelope.wrap(example(TaskCreated), source="t", actor_id=None) for _ in range(3)]
    # Valid for the contract but unstorable (PostgreSQL text cannot hold NUL): it fails the
    # batch transaction, the batch is replayed one by one, and only this one is parked.
    poison = Envelope.wrap(example(TaskCreated), source="t", actor_id=None).model_copy(
        update={"subject": "task/\x00"}
    )
    bodies = [
        wire(good[0]),
        ("task.created", b"{not json"),
        ("task.created", json.dumps({"specversion": "1.0", "id": "x"}).encode()),
        wire(good[1]),
        wire(poison),
        wire(good[2]),
    ]
    await publish(amqp_url, settings.events_exchange, bodies)
    await wait_until(lambda: worker.parked >= 3 and worker.handled >= 3, timeout=15)
    assert await count(api_engine) == 3
    async with api_engine.connect() as conn:
        ids = set((await conn.execute(text("SELECT event_id FROM audit.entries"))).scalars())
        assert ids == {e.id for e in good}
        assert (await verify(conn)).ok
    parked = await list_parked(amqp_url, worker.spec.name)
    assert len(parked) == 3
    assert str(poison.id) in {p.message_id for p in parked} | {
        str(p.envelope.get("id")) for p in parked if p.envelope
    }
    assert any("not JSON" in p.error for p in parked)
    assert worker.fallbacks >= 1


async def test_stop_midway_loses_nothing_and_batches(
    consumers: Running, settings: Any, amqp_url: str, api_engine: AsyncEngine
) -> None:
    """A consumer stopped (SIGTERM) mid-stream leaves nothing half done; the next one goes on."""
    await consumers.declare()
    envs = [
        Envelope.wrap(example(TaskCreated), source="t", actor_id=None, time=datetime.now(UTC))
        for _ in range(1000)
    ]
    await publish(amqp_url, settings.events_exchange, [wire(e) for e in envs])

    def stop_after_two_batches(consumer: BatchConsumer, stop: asyncio.Event) -> None:
        """SIGTERM arrives while the second batch is being appended."""
        original = consumer.apply_batch

        async def apply(ready: Any) -> int:
            if consumer.batches == 1:
                stop.set()
            return await original(ready)

        consumer.apply_batch = apply  # type: ignore[method-assign]

    first, _ = await consumers.start(batch_size=100, prepare=stop_after_two_batches)
    await wait_until(lambda: not first.ready.is_set(), timeout=10)
    stopped_at = await count(api_engine)
    assert stopped_at == first.handled < 1000  # the batch in hand was finished, then it stopped
    assert first.batches == 2
    second, _ = await consumers.start(batch_size=100)
    await wait_until(lambda: first.handled + second.handled >= 1000, timeout=30)
    assert await count(api_engine) == 1000
    assert first.batches + second.batches < 1000 / 20  # batched, not one commit per event
    async with api_engine.connect() as conn:
        assert (await verify(conn)).ok


async def test_a_batch_is_one_chain_append(
    consumers: Running, settings: Any, amqp_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The point of the override: one head lock and one insert for many events."""
    import taskflow.audit.consumer as consumer_module

    sizes: list[int] = []
    original = consumer_module.append

    async def counting(db: Any, items: Any, **kw: Any) -> Any:
        sizes.append(len(items))
        return await original(db, items, **kw)

    monkeypatch.setattr(consumer_module, "append", counting)
    await consumers.declare()
    envs = [Envelope.wrap(example(TaskCreated), source="t", actor_id=None) for _ in range(300)]
    await publish(amqp_url, settings.events_exchange, [wire(e) for e in envs])
    worker, _ = await consumers.start(batch_size=100)
    await wait_until(lambda: worker.handled >= 300, timeout=15)
    assert sum(sizes) == 300
    assert len(sizes) <= 6
    assert max(sizes) == 100
