"""Notifications benchmark: event -> WebSocket latency at a fixed rate, and consumer throughput.

Run: `uv run python bench/notifications_e2e.py [--rate 200] [--seconds 10] [--burst 3000]`.

Everything is real and private to the run: a scratch database (libs/testing FreshDatabase, the
notifications schema migrated), a RabbitMQ vhost, a Redis key prefix, the notifications worker
(consumer, sender, scheduler, relay) and one api replica under uvicorn with WebSocket clients.

1. latency: `task.created` events assigning a task to one of N connected users are published
   to the events exchange at `--rate` per second (persistent, confirmed, as the tasks relay
   publishes them); latency = arrival of the `{"type": "notification"}` frame on the user's
   socket - the moment just before the publish. It spans broker delivery, the consumer's
   transaction (inbox + projection + notification + delivery rows + reminders), the commit,
   the Redis publish, the hub and the socket write.
2. throughput: `--burst` events already queued, then the worker starts; events/s = burst /
   time until the consumer handled them all.
3. floors measured in the same run: the libs/events consumer with a no-op handler (decode,
   inbox row, commit, ack: what any handler pays), a raw aio-pika consume loop (ack per
   message, same prefetch) and a raw SQL loop (one transaction per event inserting an inbox
   row and a notification row with asyncpg).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import aio_pika
import asyncpg
import uvicorn
from websockets.asyncio.client import connect

from taskflow.events.contracts.tasks import TaskCreated, TaskSnapshot
from taskflow.events.envelope import Envelope
from taskflow.notifications.config import Settings
from taskflow.notifications.main import build_app
from taskflow.notifications.worker import build_worker
from taskflow.testing import free_port
from taskflow.testing.postgres import FreshDatabase, to_asyncpg_dsn
from taskflow.testing.rabbitmq import create_vhost, delete_vhost
from taskflow.testing.redisdb import new_prefix, purge_prefix, redis_url_from_env
from taskflow.testing.tokens import RsaKeys, make_token


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def task_event(assignee: uuid.UUID, project: uuid.UUID, actor: uuid.UUID) -> Envelope:
    now = datetime.now(UTC)
    snap = TaskSnapshot(
        task_id=uuid.uuid4(),
        project_id=project,
        key="BEN-1",
        number=1,
        title="Benchmark task",
        status="todo",
        priority="medium",
        assignee_ids=[assignee],
        created_by=actor,
        created_at=now,
        updated_at=now,
        version=1,
    )
    return Envelope.wrap(TaskCreated(task=snap), source="taskflow/tasks", actor_id=actor)


async def publisher(amqp_url: str, exchange: str) -> tuple[Any, Any]:
    conn = await aio_pika.connect(amqp_url)
    channel = await conn.channel(publisher_confirms=True)
    ex = await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)
    return conn, ex


async def publish(ex: Any, env: Envelope) -> None:
    await ex.publish(
        aio_pika.Message(
            env.to_bytes(),
            message_id=str(env.id),
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        ),
        routing_key=env.type,
    )


async def latency(
    settings: Settings, keys: RsaKeys, rate: int, seconds: int, users: int
) -> dict[str, float]:
    from taskflow.common.security import StaticKeySource

    app = build_app(settings, key_source=StaticKeySource(keys.jwks))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", ws="websockets-sansio"
        )
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - polling a counter is the measurement
        await asyncio.sleep(0.02)
    await app.state.hub.subscribed.wait()

    worker = build_worker(settings)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    await worker.consumer.ready.wait()

    people = [uuid.uuid4() for _ in range(users)]
    sent: dict[str, float] = {}
    lat: list[float] = []
    sockets = []

    async def listen(ws: Any) -> None:
        async for raw in ws:
            msg = json.loads(raw)
            if msg["type"] == "notification":
                t0 = sent.get(msg["notification"]["task_id"])
                if t0 is not None:
                    lat.append(time.perf_counter() - t0)

    readers = []
    for person in people:
        ws = await connect(f"ws://127.0.0.1:{port}/api/v1/ws")
        await ws.send(json.dumps({"type": "auth", "token": make_token(keys.primary, str(person))}))
        await ws.recv()
        sockets.append(ws)
        readers.append(asyncio.create_task(listen(ws)))

    conn, ex = await publisher(settings.amqp_url.get_secret_value(), settings.events_exchange)
    project, actor = uuid.uuid4(), uuid.uuid4()
    total = rate * seconds
    start = time.perf_counter()
    for i in range(total):
        target = start + i / rate
        delay = target - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        env = task_event(people[i % users], project, actor)
        sent[str(env.data["task"]["task_id"])] = time.perf_counter()
        await publish(ex, env)
    achieved = total / (time.perf_counter() - start)
    deadline = time.perf_counter() + 30
    while len(lat) < total and time.perf_counter() < deadline:  # noqa: ASYNC110 - polling a counter is the measurement
        await asyncio.sleep(0.05)
    await conn.close()
    for ws in sockets:
        await ws.close()
    for r in readers:
        r.cancel()
    stop.set()
    await running
    server.should_exit = True
    await serving
    return {
        "events": total,
        "received": len(lat),
        "rate": achieved,
        "p50_ms": statistics.median(lat) * 1000,
        "p99_ms": pct(lat, 99) * 1000,
        "max_ms": max(lat) * 1000,
    }


async def throughput(settings: Settings, burst: int, *, noop: bool = False) -> float:
    conn, ex = await publisher(settings.amqp_url.get_secret_value(), settings.events_exchange)
    # Declare and bind the queue first (a worker run does it; run one briefly).
    worker = build_worker(settings)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    await worker.consumer.ready.wait()
    stop.set()
    await task
    project, actor = uuid.uuid4(), uuid.uuid4()
    for _ in range(burst):
        await publish(ex, task_event(uuid.uuid4(), project, actor))
    await conn.close()
    worker = build_worker(settings)
    if noop:
        # The framework floor: decode, inbox insert, commit and ack, no handler work.
        async def nothing(session: Any, envelope: Any, event: Any) -> None:
            return None

        worker.consumer.default_handler = nothing
    stop = asyncio.Event()
    start = time.perf_counter()
    task = asyncio.create_task(worker.run(stop))
    while worker.consumer.handled < burst:  # noqa: ASYNC110 - polling a counter is the measurement
        await asyncio.sleep(0.02)
    elapsed = time.perf_counter() - start
    stop.set()
    await task
    return burst / elapsed


async def raw_broker(amqp_url: str, count: int, prefetch: int) -> float:
    conn = await aio_pika.connect(amqp_url)
    channel = await conn.channel(publisher_confirms=True)
    await channel.set_qos(prefetch_count=prefetch)
    queue = await channel.declare_queue(
        "bench.raw", durable=True, arguments={"x-queue-type": "quorum"}
    )
    body = task_event(uuid.uuid4(), uuid.uuid4(), uuid.uuid4()).to_bytes()
    for _ in range(count):
        await channel.default_exchange.publish(
            aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key="bench.raw",
        )
    got = 0
    done = asyncio.Event()
    start = time.perf_counter()

    async def on_message(message: Any) -> None:
        nonlocal got
        await message.ack()
        got += 1
        if got >= count:
            done.set()

    await queue.consume(on_message)
    await done.wait()
    elapsed = time.perf_counter() - start
    await queue.delete(if_unused=False, if_empty=False)
    await conn.close()
    return count / elapsed


async def raw_sql(dsn: str, count: int) -> float:
    pg = await asyncpg.connect(dsn)
    user = uuid.uuid4()
    start = time.perf_counter()
    for _ in range(count):
        async with pg.transaction():
            eid = uuid.uuid4()
            await pg.execute(
                "INSERT INTO notifications.inbox (event_id, queue) VALUES ($1, 'bench')", eid
            )
            await pg.execute(
                "INSERT INTO notifications.notifications"
                " (id, user_id, kind, title, body, source_id)"
                " VALUES ($1, $2, 'task_assigned', 'x', '', $3)",
                uuid.uuid4(),
                user,
                eid,
            )
    elapsed = time.perf_counter() - start
    await pg.close()
    return count / elapsed


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--burst", type=int, default=3000)
    args = parser.parse_args()

    db = await asyncio.to_thread(FreshDatabase.create)
    vhost = await asyncio.to_thread(create_vhost)
    redis_url = redis_url_from_env()
    prefix = new_prefix()
    try:
        url = await db.amigrate("notifications")
        settings = Settings(
            database_url=url,
            amqp_url=vhost.url,
            redis_url=redis_url,
            redis_prefix=prefix,
            environment="test",
            log_level="ERROR",
            smtp_port=free_port(),  # nobody listens: mail is not part of this benchmark
            breaker_reset_timeout=600,
        )
        keys = RsaKeys.generate(1)
        lat = await latency(settings, keys, args.rate, args.seconds, args.users)
        print(
            f"latency @ {lat['rate']:.0f} ev/s: {lat['received']}/{lat['events']} received, "
            f"p50 {lat['p50_ms']:.1f} ms, p99 {lat['p99_ms']:.1f} ms, max {lat['max_ms']:.1f} ms"
        )
        eps = await throughput(settings, args.burst)
        print(f"consumer throughput: {eps:.0f} events/s ({args.burst} queued events)")
        floor = await throughput(settings, args.burst, noop=True)
        print(f"floor, consumer framework with a no-op handler: {floor:.0f} events/s")
        broker = await raw_broker(vhost.url, args.burst, settings.consumer_prefetch)
        print(f"floor, raw broker consume+ack (quorum queue): {broker:.0f} msg/s")
        sql = await raw_sql(to_asyncpg_dsn(url), args.burst)
        print(f"floor, raw SQL (1 tx, 2 inserts per event): {sql:.0f} tx/s")
    finally:
        await purge_prefix_async(redis_url, prefix)
        await asyncio.to_thread(delete_vhost, vhost)
        await asyncio.to_thread(db.drop)


async def purge_prefix_async(url: str, prefix: str) -> None:
    await asyncio.to_thread(purge_prefix, url, prefix)


if __name__ == "__main__":
    asyncio.run(main())
