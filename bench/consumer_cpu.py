"""CPU per event in each consumer: process CPU seconds per event, beside events/s.

Run: `uv run python bench/consumer_cpu.py [--events 3000] [--only notifications,relay]
[--rate 0] [--profile DIR]`. See docs/performance.md, "CPU per event in the consumers".

Everything is private to the run: one scratch database (libs/testing FreshDatabase, with the
notifications, tasks, reporting and audit schemas migrated), a RabbitMQ vhost per consumer and
a Redis key prefix. Each consumer is built the way its worker builds it (same factory, same
queue spec, same `Database` settings) and measured alone:

- notifications: the worker's consumer with its real handlers (projections, notifications,
  reminders, calendar, live pushes to Redis); the sender, scheduler and relay are not run;
- webhooks: the `tasks.webhooks` fan-out consumer (no endpoint registered, as in the load test);
- reporting: the reporting worker's consumer;
- audit: the audit worker's batched chain consumer (as the writer role);
- relay: the tasks service's outbox relay (rows in `tasks.outbox`, a queue bound to `#`);
- floor: a bare aio-pika consumer acking each message (added after the "before" run).

The events are a realistic stream built from `taskflow.events.examples`: per task, a
`task.created` (by one member, assigned to the other, watched by the creator), a
`task.updated` and a `comment.added` mentioning the assignee, each task with its own ids.
Before the measurement the consumer gets the users and the project (notifications and
reporting need them to do their real work); those are not counted.

Two modes:
- default (`--rate 0`): the N events are queued (published, or committed in the outbox for the
  relay) while nothing consumes, then the consumer starts and drains them: the batch paths see
  full batches;
- `--rate R`: a child process feeds R events per second while the consumer runs (publishes to
  the exchange, or commits one outbox row per transaction for the relay), as a live system
  does: batches are as small as the rate makes them.

What is reported is CPU seconds of this process (`time.process_time`, user + system, every
thread; the child feeder is not in it) from the consumer's start until it has settled all N
events, divided by N, and events/s over the same window. The machine is shared: CPU per event
is the figure to compare between runs, not wall time. `--profile DIR` writes a cProfile of each
measured window to `DIR/<consumer>.prof` and prints its top functions by own time.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aio_pika
import orjson

from taskflow.events import Envelope
from taskflow.events.contracts import (
    CommentAdded,
    ProjectCreated,
    ProjectMemberAdded,
    TaskCreated,
    TaskUpdated,
    UserRegistered,
)
from taskflow.events.contracts.base import Event
from taskflow.events.examples import OTHER_USER, PROJECT, USER, example, task_snapshot

EXCHANGE = "taskflow.events"
CASES = ("notifications", "webhooks", "reporting", "audit", "relay", "floor")


# -- the events ---------------------------------------------------------------------------


def setup_events() -> list[Event]:
    """Two users, their project and both memberships (what the handlers look up)."""
    other = example(UserRegistered).model_copy(
        update={"user_id": OTHER_USER, "email": "bob@example.com", "display_name": "Bob"}
    )
    return [
        example(UserRegistered),
        other,
        example(ProjectCreated),
        ProjectMemberAdded(project_id=PROJECT, user_id=USER, role="admin"),
        ProjectMemberAdded(project_id=PROJECT, user_id=OTHER_USER, role="member"),
    ]


def stream(n: int) -> list[Event]:
    """N events: per task, created (by Bob for Ada), updated, commented (mentioning Ada)."""
    out: list[Event] = []
    i = 0
    while len(out) < n:
        tid = uuid.uuid4()
        number = 100 + i
        key = f"OPS-{number}"
        snap: dict[str, Any] = {
            "key": key,
            "number": number,
            "created_by": OTHER_USER,
            "assignee_ids": [USER],
            "watcher_ids": [OTHER_USER],
            "status": "todo",
        }
        created = TaskCreated(task=task_snapshot(tid, version=1, **snap))
        updated = example(TaskUpdated).model_copy(
            update={"task": task_snapshot(tid, version=2, **snap)}
        )
        comment = example(CommentAdded).model_copy(
            update={
                "comment_id": uuid.uuid4(),
                "task_id": tid,
                "author_id": OTHER_USER,
                "mentions": [USER],
                "task_key": key,
            }
        )
        out += [created, updated, comment]
        i += 1
    return out[:n]


def envelopes(events: list[Event]) -> list[bytes]:
    """Message bodies, each with a fresh id and the current time (actor: Bob)."""
    return [
        Envelope.wrap(
            e, source="taskflow/tasks", actor_id=OTHER_USER, time=datetime.now(UTC)
        ).to_bytes()
        for e in events
    ]


async def publish(url: str, bodies: list[bytes], rate: float = 0) -> None:
    """Publish persistent messages to the events exchange (paced at `rate`/s when > 0)."""
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        ex = await channel.declare_exchange(EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
        start = time.perf_counter()
        for i, body in enumerate(bodies):
            if rate:
                delay = start + i / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            env = orjson.loads(body)
            await ex.publish(
                aio_pika.Message(
                    body,
                    message_id=env["id"],
                    content_type="application/cloudevents+json",
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=env["type"],
            )


async def fill_outbox(db_url: str, bodies: list[bytes], rate: float = 0) -> None:
    """Commit the events to the tasks outbox: in chunks, or one per transaction at `rate`/s."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from taskflow.tasks.db import OUTBOX

    events = [Envelope.model_validate(orjson.loads(b)).event() for b in bodies]
    engine = create_async_engine(db_url, pool_size=1)
    try:
        if not rate:
            for i in range(0, len(events), 500):
                async with engine.begin() as conn:
                    await OUTBOX.add_many(conn, events[i : i + 500], actor_id=OTHER_USER)
            return
        start = time.perf_counter()
        for i, event in enumerate(events):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            async with engine.begin() as conn:
                await OUTBOX.add(conn, event, actor_id=OTHER_USER)
    finally:
        await engine.dispose()


async def feeder(kind: str, url: str, path: str, rate: float) -> None:
    """The child process of `--rate` mode: feed the bodies in `path` at `rate`/s."""
    bodies = Path(path).read_bytes().splitlines()  # noqa: ASYNC240 - before the clock
    if kind == "outbox":
        await fill_outbox(url, bodies, rate)
    else:
        await publish(url, bodies, rate)


# -- the consumers ------------------------------------------------------------------------


@dataclass
class Runner:
    """One consumer as its worker builds it: `run(stop)`, a settled count, a close."""

    run: Callable[[asyncio.Event], Awaitable[None]]
    settled: Callable[[], int]
    close: Callable[[], Awaitable[None]]
    ready: Callable[[], Awaitable[Any]] = field(default=lambda: asyncio.sleep(0))
    bindings: tuple[str, ...] = ("#",)

    def receives(self, routing_key: str) -> bool:
        """Whether the consumer's queue gets this routing key (AMQP topic matching)."""
        return any(_topic(b.split("."), routing_key.split(".")) for b in self.bindings)


def _topic(pattern: list[str], words: list[str]) -> bool:
    if not pattern:
        return not words
    if pattern[0] == "#":
        return any(_topic(pattern[1:], words[i:]) for i in range(len(words) + 1))
    return bool(words) and pattern[0] in ("*", words[0]) and _topic(pattern[1:], words[1:])


def _consumer_runner(consumer: Any, close: Callable[[], Awaitable[None]]) -> Runner:
    return Runner(
        run=consumer.run,
        settled=lambda: consumer.handled + consumer.duplicates + consumer.parked,
        close=close,
        ready=consumer.ready.wait,
        bindings=tuple(consumer.spec.bindings),
    )


@dataclass
class Env:
    """Where a case runs: the scratch database's URLs, the vhost, the Redis prefix."""

    urls: dict[str, str]
    amqp: str
    redis_url: str
    redis_prefix: str


def build(case: str, env: Env) -> Runner:
    """A fresh consumer of `case` (a new instance per phase, counters at zero)."""
    from taskflow.common.db import Database

    common: dict[str, Any] = {
        "amqp_url": env.amqp,
        "environment": "test",
        "log_level": "WARNING",
        "log_json": False,
    }
    if case == "notifications":
        from taskflow.notifications.config import Settings as NSettings
        from taskflow.notifications.worker import build_worker

        n = NSettings(
            database_url=env.urls["notifications"],
            redis_url=env.redis_url,
            redis_prefix=env.redis_prefix,
            **common,
        )
        worker = build_worker(n)
        return _consumer_runner(worker.consumer, worker.close)
    if case == "webhooks":
        from taskflow.tasks.config import Settings as TSettings
        from taskflow.tasks.webhooks.worker import consumer as webhooks_consumer

        t = TSettings(
            database_url=env.urls["tasks"],
            redis_url=env.redis_url,
            redis_prefix=env.redis_prefix,
            **common,
        )
        db = Database(t)
        return _consumer_runner(webhooks_consumer(t, db), db.dispose)
    if case == "reporting":
        from taskflow.reporting.config import Settings as RSettings
        from taskflow.reporting.worker import build_consumer as reporting_consumer

        r = RSettings(database_url=env.urls["reporting"], **common)
        db = Database(r)
        return _consumer_runner(reporting_consumer(r, db.sessionmaker), db.dispose)
    if case == "audit":
        from taskflow.audit.config import Settings as ASettings
        from taskflow.audit.worker import build_consumer as audit_consumer

        a = ASettings(
            database_url=env.urls["audit_api"],
            worker_database_url=env.urls["audit_writer"],
            **common,
        )
        db = Database(a, url=env.urls["audit_writer"])
        return _consumer_runner(audit_consumer(a, db), db.dispose)
    if case == "relay":
        from taskflow.events import OutboxRelay
        from taskflow.tasks.config import Settings as TSettings
        from taskflow.tasks.db import outbox_rows

        t = TSettings(database_url=env.urls["tasks"], **common)
        db = Database(t)
        relay = OutboxRelay(db.engine, outbox_rows, env.amqp, EXCHANGE, name="tasks")

        async def close() -> None:
            await relay.close_broker()
            await db.dispose()

        return Runner(run=relay.run, settled=lambda: relay.published_total, close=close)
    if case == "floor":
        return _raw_runner(env.amqp)
    raise ValueError(case)


def _raw_runner(url: str) -> Runner:
    """The floor: a bare aio-pika consumer of a queue bound to everything, acking each message
    (what any consumer pays per delivery before it decodes anything)."""
    got = [0]
    ready = asyncio.Event()

    async def run(stop: asyncio.Event) -> None:
        connection = await aio_pika.connect(url)
        async with connection:
            channel = await connection.channel()
            await channel.set_qos(prefetch_count=64)
            ex = await channel.declare_exchange(EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
            queue = await channel.declare_queue(
                "bench.floor", durable=True, arguments={"x-queue-type": "quorum"}
            )
            await queue.bind(ex, "#")

            async def on(message: aio_pika.abc.AbstractIncomingMessage) -> None:
                await message.ack()
                got[0] += 1

            await queue.consume(on)
            ready.set()
            await stop.wait()

    async def close() -> None:
        return None

    return Runner(run=run, settled=lambda: got[0], close=close, ready=ready.wait)


async def _drive(runner: Runner, target: int, limit: float) -> tuple[float, float]:
    """Run until `target` events are settled; (CPU seconds, wall seconds) of that window."""
    stop = asyncio.Event()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    task = asyncio.create_task(runner.run(stop))
    deadline = wall0 + limit
    while runner.settled() < target:
        await asyncio.sleep(0.01)
        if task.done():
            task.result()
            raise RuntimeError("the consumer stopped early")
        if time.perf_counter() > deadline:
            raise TimeoutError(f"settled {runner.settled()} of {target}")
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    stop.set()
    await task
    return cpu, wall


async def _sink(url: str) -> None:
    """A queue bound to everything, so that the relay's mandatory publishes are routed."""
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        ex = await channel.declare_exchange(EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue("bench.sink", durable=True)
        await queue.bind(ex, "#")


async def measure(
    case: str, env: Env, n: int, rate: float, profile: Path | None
) -> dict[str, float]:
    """Set up, then measure one consumer over N events."""
    setup = envelopes(setup_events())
    bodies = envelopes(stream(n))
    if case == "relay":
        await _sink(env.amqp)
    else:
        # Declare the queue (start once), give the consumer its users and project.
        runner = build(case, env)
        stop = asyncio.Event()
        task = asyncio.create_task(runner.run(stop))
        await runner.ready()
        await publish(env.amqp, setup)  # confirmed: in the queue (those it is bound to)
        seen, quiet = -1, 0
        while quiet < 10:  # settled for 1 s: the setup events it receives are applied
            await asyncio.sleep(0.1)
            quiet = quiet + 1 if runner.settled() == seen else 0
            seen = runner.settled()
        stop.set()
        await task
        await runner.close()
    child = None
    if rate:
        fd, path = tempfile.mkstemp(suffix=".jsonl")
        os.write(fd, b"\n".join(bodies))
        os.close(fd)
        kind, url = ("outbox", env.urls["tasks"]) if case == "relay" else ("amqp", env.amqp)
        child = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--feed", kind, url, path, str(rate)
        )
    elif case == "relay":
        await fill_outbox(env.urls["tasks"], bodies)
    else:
        await publish(env.amqp, bodies)
    runner = build(case, env)
    target = sum(runner.receives(orjson.loads(b)["type"]) for b in bodies)
    prof = cProfile.Profile() if profile else None
    if prof:
        prof.enable()
    try:
        cpu, wall = await _drive(runner, target, limit=600)
    finally:
        if prof:
            prof.disable()
        await runner.close()
        if child:
            await child.wait()
            os.unlink(path)
    if prof and profile:
        profile.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - after the clock
        prof.dump_stats(profile / f"{case}.prof")
        print(f"--- {case}: top functions by own time ---")
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
    return {"cpu_ms": cpu / target * 1000, "eps": target / wall, "cpu": cpu, "n": target}


async def main(args: argparse.Namespace) -> None:
    from taskflow.testing.postgres import FreshDatabase
    from taskflow.testing.rabbitmq import create_vhost, delete_vhost
    from taskflow.testing.redisdb import new_prefix, purge_prefix, redis_url_from_env

    cases = [c for c in args.only.split(",") if c] if args.only else list(CASES)
    db = await asyncio.to_thread(FreshDatabase.create)
    redis_url, prefix = redis_url_from_env(), new_prefix()
    results: dict[str, dict[str, float]] = {}
    try:
        urls = {s: await db.amigrate(s) for s in ("notifications", "tasks", "reporting", "audit")}
        urls["audit_writer"] = db.url_for("taskflow_audit_writer")
        urls["audit_api"] = db.url_for("taskflow_audit_api")
        for case in cases:
            vhost = await asyncio.to_thread(create_vhost)
            try:
                env = Env(urls, vhost.url, redis_url, prefix)
                results[case] = await measure(case, env, args.events, args.rate, args.profile)
                r = results[case]
                print(
                    f"{case:14} {r['cpu_ms']:7.3f} ms CPU/event  {r['eps']:8.0f} events/s"
                    f"  ({r['cpu']:.2f} s CPU over {r['n']:.0f} events it receives)",
                    flush=True,
                )
            finally:
                await asyncio.to_thread(delete_vhost, vhost)
    finally:
        await asyncio.to_thread(purge_prefix, redis_url, prefix)
        await asyncio.to_thread(db.drop)
    mode = f"fed at {args.rate:g}/s" if args.rate else "queued backlog"
    print(f"\n{args.events} events published each, {mode}; load average {os.getloadavg()[0]:.1f}")
    print("| consumer | CPU ms per event | events/s |")
    print("|---|---|---|")
    for case, r in results.items():
        print(f"| {case} | {r['cpu_ms']:.2f} | {r['eps']:,.0f} |")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--feed":
        kind, url, path, rate = sys.argv[2:6]
        asyncio.run(feeder(kind, url, path, float(rate)))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--only", default="", help=f"comma-separated, of {','.join(CASES)}")
    parser.add_argument("--rate", type=float, default=0, help="feed at this rate (0: backlog)")
    parser.add_argument("--profile", type=Path, default=None, help="write cProfiles here")
    asyncio.run(main(parser.parse_args()))
