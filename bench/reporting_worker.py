"""Reporting worker: events/s through the real consumer, beside raw floors from the same run.

Publishes N task events (creations and status changes of N/4 tasks over 50 projects) to a
RabbitMQ vhost of its own, then starts the reporting consumer and times draining the queue.
In the same run: the handler alone (one transaction per event, no broker), and the floor of a
raw asyncpg loop doing one INSERT and one commit per event.

Run: `uv run python bench/reporting_worker.py [--events 4000]`. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import aio_pika
import asyncpg
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from taskflow.events import Envelope, TaskCompleted, TaskCreated, TaskSnapshot, TaskStatusChanged
from taskflow.testing.postgres import FreshDatabase
from taskflow.testing.rabbitmq import create_vhost, delete_vhost

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def events(n: int) -> list[Envelope]:
    """Creation, in_progress, blocked, done for each of n/4 tasks (4 events per task)."""
    out: list[Envelope] = []
    owner = uuid.uuid4()
    projects = [uuid.uuid4() for _ in range(50)]
    for i in range(n // 4):
        tid, proj = uuid.uuid4(), projects[i % 50]
        base = {
            "task_id": tid,
            "project_id": proj,
            "key": f"B-{i}",
            "number": i,
            "title": "t",
            "priority": "medium",
            "created_by": owner,
            "created_at": T0,
            "assignee_ids": [owner],
        }
        steps = [
            (TaskCreated, "todo", {}),
            (TaskStatusChanged, "in_progress", {"before": "todo", "after": "in_progress"}),
            (TaskStatusChanged, "blocked", {"before": "in_progress", "after": "blocked"}),
            (TaskCompleted, "done", {}),
        ]
        for v, (cls, status, extra) in enumerate(steps, start=1):
            at = T0 + timedelta(minutes=i + v)
            snap = TaskSnapshot(
                **base,
                status=status,
                updated_at=at,
                version=v,
                completed_at=at if status == "done" else None,
            )
            out.append(
                Envelope.wrap(cls(task=snap, **extra), source="bench", actor_id=owner, time=at)
            )
    return out


async def main(n: int) -> None:
    from taskflow.reporting.config import Settings
    from taskflow.reporting.projection.handlers import apply_event
    from taskflow.reporting.worker import build_consumer

    db = FreshDatabase.create()
    vhost = create_vhost()
    try:
        url = db.migrate("reporting")
        engine = create_async_engine(url, pool_size=2)
        maker = async_sessionmaker(engine, expire_on_commit=False)
        envs = events(n)

        # Floor: one INSERT + commit per event, raw asyncpg.
        raw = await asyncpg.connect(db.dsn_for("taskflow_reporting"))
        await raw.execute("CREATE TABLE reporting.bench_floor (id uuid PRIMARY KEY, body jsonb)")
        t = time.perf_counter()
        for env in envs:
            async with raw.transaction():
                await raw.execute(
                    "INSERT INTO reporting.bench_floor VALUES ($1, $2)",
                    env.id,
                    env.to_bytes().decode(),
                )
        floor = n / (time.perf_counter() - t)
        await raw.close()

        # The handler alone, one transaction per event (what the consumer does minus the broker).
        handler_envs = events(n)
        t = time.perf_counter()
        for env in handler_envs:
            async with maker() as s, s.begin():
                await apply_event(s, env, env.event())
        handler = n / (time.perf_counter() - t)

        # The real consumer draining a queue of n events.
        settings = Settings(
            database_url=SecretStr(url),
            amqp_url=SecretStr(vhost.url),
            log_level="WARNING",
            log_json=False,
        )
        consumer = build_consumer(settings, maker)
        stop = asyncio.Event()
        task = asyncio.create_task(consumer.run(stop))
        await consumer.ready.wait()
        stop.set()
        await task  # the queue and bindings exist now; publish while nobody consumes
        conn = await aio_pika.connect(vhost.url)
        async with conn:
            ch = await conn.channel(publisher_confirms=True)
            ex = await ch.get_exchange(settings.events_exchange)
            for env in envs:
                await ex.publish(
                    aio_pika.Message(
                        env.to_bytes(),
                        message_id=str(env.id),
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    ),
                    routing_key=env.type,
                )
        consumer = build_consumer(settings, maker)
        stop = asyncio.Event()
        t = time.perf_counter()
        task = asyncio.create_task(consumer.run(stop))
        while consumer.handled < n:  # noqa: ASYNC110 - polling a counter, not an event
            await asyncio.sleep(0.05)
        worker = n / (time.perf_counter() - t)
        stop.set()
        await task
        await engine.dispose()
        print(f"events: {n}")
        print(f"floor: raw asyncpg INSERT+commit per event   {floor:8.0f} /s")
        print(f"handler only, one transaction per event      {handler:8.0f} events/s")
        print(f"worker: consumer draining reporting queue    {worker:8.0f} events/s")
    finally:
        delete_vhost(vhost)
        db.drop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=4000)
    asyncio.run(main(parser.parse_args().events))
