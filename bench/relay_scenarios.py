"""Scenarios of the relay benchmark (imported by bench/test_relay_throughput.py).

Also runnable on its own:
``uv run python bench/relay_scenarios.py <admin sqlalchemy url> <amqp url>``.

Every scenario publishes the same CloudEvents envelope shape (a ``task.updated`` with its task
snapshot, ~1.2 KB) to a topic exchange with one bound queue, so the relay is compared with the
plainest thing that does the same broker work: an aio-pika loop publishing with confirms.
"""

from __future__ import annotations

import asyncio
import secrets
import statistics
import sys
import time
from datetime import UTC, datetime
from typing import Any

import aio_pika
import orjson
from sqlalchemy import MetaData, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from taskflow.events import Envelope, Outbox, OutboxRelay, TaskUpdated, outbox_table
from taskflow.events.examples import task_snapshot
from taskflow.events.ids import uuid7

WINDOW = 500  # messages in flight awaiting confirms, the relay's batch size too


def _event(aggregate: Any, version: int) -> TaskUpdated:
    return TaskUpdated(task=task_snapshot(task_id=aggregate, version=version), changes={})


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Sink:
    """A queue bound to everything, recording arrival time minus the envelope's ``time``."""

    def __init__(self, connection: aio_pika.abc.AbstractConnection, exchange: str) -> None:
        self.connection = connection
        self.exchange = exchange
        self.count = 0
        self.latencies: list[float] = []
        self.done = asyncio.Event()
        self.expect = 0

    async def start(self) -> None:
        channel = await self.connection.channel()
        await channel.set_qos(prefetch_count=2000)
        ex = await channel.declare_exchange(
            self.exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue(f"bench.{secrets.token_hex(4)}", exclusive=True)
        await queue.bind(ex, "#")

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            sent = datetime.fromisoformat(orjson.loads(message.body)["time"].replace("Z", "+00:00"))
            self.latencies.append((datetime.now(UTC) - sent).total_seconds())
            self.count += 1
            await message.ack()
            if self.expect and self.count >= self.expect:
                self.done.set()

        await queue.consume(on_message)

    def reset(self, expect: int) -> None:
        self.count, self.latencies, self.expect = 0, [], expect
        self.done.clear()


async def raw_throughput(amqp_url: str, n: int) -> dict[str, float]:
    """Plain aio-pika: publish ``n`` envelopes with confirms, ``WINDOW`` in flight."""
    exchange_name = f"bench.raw.{secrets.token_hex(4)}"
    connection = await aio_pika.connect(amqp_url)
    try:
        sink = Sink(connection, exchange_name)
        await sink.start()
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        exchange = await channel.get_exchange(exchange_name)
        agg = uuid7()
        bodies = [
            Envelope.wrap(_event(agg, i + 1), source="bench", actor_id=None).to_bytes()
            for i in range(n)
        ]
        sink.reset(n)
        started = time.perf_counter()
        for i in range(0, n, WINDOW):
            await asyncio.gather(
                *(
                    exchange.publish(
                        aio_pika.Message(b, delivery_mode=2, message_id=str(i + j)),
                        "task.updated",
                        mandatory=True,
                    )
                    for j, b in enumerate(bodies[i : i + WINDOW])
                )
            )
        elapsed = time.perf_counter() - started
        await asyncio.wait_for(sink.done.wait(), 60)
        return {"events": n, "seconds": elapsed, "events_per_s": n / elapsed}
    finally:
        await connection.close()


async def _outbox(engine: AsyncEngine) -> tuple[str, Any]:
    schema = f"bench_{secrets.token_hex(4)}"
    metadata = MetaData(schema=schema)
    table = outbox_table(metadata)
    async with engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        await conn.run_sync(metadata.create_all)
    return schema, table


async def relay_throughput(db_url: str, amqp_url: str, n: int, relays: int = 1) -> dict[str, float]:
    """``n`` committed outbox rows (100 aggregates), then the relay(s) drain them: events/s."""
    engine = create_async_engine(db_url, pool_size=6)
    exchange_name = f"bench.relay.{secrets.token_hex(4)}"
    schema, table = await _outbox(engine)
    connection = await aio_pika.connect(amqp_url)
    try:
        sink = Sink(connection, exchange_name)
        await sink.start()
        outbox = Outbox(table, "bench")
        aggregates = [uuid7() for _ in range(100)]
        async with engine.begin() as conn:
            for start in range(0, n, 1000):
                events = [
                    _event(aggregates[i % 100], i // 100 + 1)
                    for i in range(start, min(n, start + 1000))
                ]
                await outbox.add_many(conn, events, actor_id=None)
        workers = [
            OutboxRelay(
                engine,
                table,
                amqp_url,
                exchange_name,
                batch_size=WINDOW,
                max_partitions=None if relays == 1 else 16 // relays,
            )
            for _ in range(relays)
        ]
        sink.reset(n)
        stop = asyncio.Event()
        started = time.perf_counter()
        tasks = [asyncio.create_task(w.run(stop)) for w in workers]
        while True:
            async with engine.connect() as conn:
                left = (
                    await conn.execute(
                        select(text("count(*)"))
                        .select_from(table)
                        .where(table.c.published_at.is_(None))
                    )
                ).scalar_one()
            if left == 0:
                break
            await asyncio.sleep(0.02)
        elapsed = time.perf_counter() - started
        stop.set()
        await asyncio.gather(*tasks)
        await asyncio.wait_for(sink.done.wait(), 60)
        return {"events": n, "seconds": elapsed, "events_per_s": n / elapsed, "relays": relays}
    finally:
        await connection.close()
        async with engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await engine.dispose()


async def latency(db_url: str, amqp_url: str, rate: int, seconds: float) -> dict[str, Any]:
    """Producer commits one event per transaction at ``rate``/s; relay woken by NOTIFY.

    Latency = consumer arrival - envelope ``time`` (set just before the insert), so it spans
    insert, commit, NOTIFY, relay fetch, publish, confirm, route and deliver. The same producer
    loop publishing straight to the broker (with confirms) gives the raw figure.
    """
    engine = create_async_engine(db_url, pool_size=6)
    schema, table = await _outbox(engine)
    connection = await aio_pika.connect(amqp_url)
    results: dict[str, Any] = {"rate_per_s": rate, "seconds": seconds}
    try:
        total = int(rate * seconds)
        aggregates = [uuid7() for _ in range(100)]
        # relay path
        ex_relay = f"bench.lat.relay.{secrets.token_hex(4)}"
        sink = Sink(connection, ex_relay)
        await sink.start()
        relay = OutboxRelay(engine, table, amqp_url, ex_relay, poll_interval=1.0)
        stop = asyncio.Event()
        task = asyncio.create_task(relay.run(stop))
        await asyncio.sleep(0.5)
        outbox = Outbox(table, "bench")
        sink.reset(total)
        interval = 1 / rate
        next_at = time.perf_counter()
        for i in range(total):
            async with engine.begin() as conn:
                await outbox.add(conn, _event(aggregates[i % 100], i // 100 + 1), actor_id=None)
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        await asyncio.wait_for(sink.done.wait(), 60)
        stop.set()
        await task
        results["relay_p50_ms"] = _pct(sink.latencies, 0.50) * 1000
        results["relay_p99_ms"] = _pct(sink.latencies, 0.99) * 1000
        results["relay_mean_ms"] = statistics.fmean(sink.latencies) * 1000
        # raw path: same loop, publish with confirm instead of the outbox insert
        ex_raw = f"bench.lat.raw.{secrets.token_hex(4)}"
        sink_raw = Sink(connection, ex_raw)
        await sink_raw.start()
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(ex_raw)
        sink_raw.reset(total)
        next_at = time.perf_counter()
        for i in range(total):
            body = Envelope.wrap(
                _event(aggregates[i % 100], i // 100 + 1), source="bench", actor_id=None
            ).to_bytes()
            await exchange.publish(aio_pika.Message(body, delivery_mode=2), "task.updated")
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        await asyncio.wait_for(sink_raw.done.wait(), 60)
        results["raw_p50_ms"] = _pct(sink_raw.latencies, 0.50) * 1000
        results["raw_p99_ms"] = _pct(sink_raw.latencies, 0.99) * 1000
        return results
    finally:
        await connection.close()
        async with engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await engine.dispose()


async def main(db_url: str, amqp_url: str) -> None:
    print(await raw_throughput(amqp_url, 20_000))
    print(await relay_throughput(db_url, amqp_url, 20_000, relays=1))
    print(await relay_throughput(db_url, amqp_url, 20_000, relays=2))
    print(await latency(db_url, amqp_url, rate=200, seconds=10))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
