"""The system's event path as real processes, for the broker-restart and SIGKILL tests.

Processes: the workers of tasks (outbox relay), notifications, audit and reporting, each
started with its real `worker` command (the console script's `main`) and configured only by
environment variables, as `make dev` and the e2e harness do. They talk to a private RabbitMQ
node (`taskflow.testing.rabbitmq_node`), a database of the module's own, a Redis key prefix and
an aiosmtpd sink. Nothing here imports a service's package.

Events enter where the tasks service puts them: rows of `tasks.outbox` (with the NOTIFY its
`Outbox` sends), committed by the test; the tasks worker's relay publishes them. Each event is
a `task.assigned` of a task of its own, by Alice to Bob, so every event has exactly one
expected effect in each consumer: one notification (and, Bob's address being verified, one
mail), one audit entry, one reporting fact (`event_log` row, and the task in `task_facts`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import aio_pika
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine

from taskflow.events import Outbox, outbox_table
from taskflow.events.contracts import TaskAssigned, UserRegistered
from taskflow.events.examples import task_snapshot
from taskflow.events.ids import uuid7

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("tasks", "notifications", "audit", "reporting")
#: The queue whose consumer says a worker is up (the tasks worker also runs the relay).
QUEUES = {
    "tasks": "tasks.recurrence",
    "notifications": "notifications.events",
    "audit": "audit.events",
    "reporting": "reporting.events",
}
ALICE = UUID("0190a000-0000-7000-8000-00000000a11c")
BOB = UUID("0190a000-0000-7000-8000-000000000b0b")
BOB_EMAIL = "bob@example.test"
PROJECT = UUID("0190a000-0000-7000-8000-0000000f0001")

TASKS_OUTBOX = Outbox(outbox_table(MetaData(schema="tasks")), "taskflow/tasks")


@dataclass
class Backing:
    """Where every worker points: database, private broker, Redis prefix, SMTP sink."""

    database: Any  # taskflow.testing.postgres.FreshDatabase
    amqp_url: str
    redis_url: str
    redis_prefix: str
    smtp_host: str
    smtp_port: int


def service_env(service: str, b: Backing) -> dict[str, str]:
    """The environment of one worker: the parent's, minus service settings, plus ours."""
    prefixes = tuple(f"{s.upper()}_" for s in (*SERVICES, "auth"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    p = service.upper() + "_"
    env.update(
        {
            "PYTHONUNBUFFERED": "1",
            p + "ENVIRONMENT": "test",
            p + "DATABASE_URL": b.database.url_for(f"taskflow_{service}"),
            p + "AMQP_URL": b.amqp_url,
            p + "REDIS_URL": b.redis_url,
            p + "REDIS_PREFIX": b.redis_prefix,
            p + "LOG_JSON": "true",
            p + "LOG_LEVEL": "INFO",
            p + "DB_POOL_SIZE": "3",
            p + "DB_MAX_OVERFLOW": "4",
        }
    )
    if service == "notifications":
        env.update(
            {
                "NOTIFICATIONS_SMTP_HOST": b.smtp_host,
                "NOTIFICATIONS_SMTP_PORT": str(b.smtp_port),
                "NOTIFICATIONS_SENDER_POLL_INTERVAL": "0.2",
                "NOTIFICATIONS_SCHEDULER_POLL_INTERVAL": "0.5",
                "NOTIFICATIONS_DELIVERY_BACKOFF_BASE": "1",
                "NOTIFICATIONS_BREAKER_RESET_TIMEOUT": "2",
                # A lease shorter than a test: a delivery taken by a killed worker is sent by
                # the next one within seconds (production keeps 60 s).
                "NOTIFICATIONS_DELIVERY_LEASE_SECONDS": "5",
            }
        )
    if service == "audit":
        db = b.database
        env.update(
            {
                "AUDIT_DATABASE_URL": db.url_for("taskflow_audit_api"),
                "AUDIT_WORKER_DATABASE_URL": db.url_for("taskflow_audit_writer"),
                "AUDIT_MIGRATION_DATABASE_URL": db.url_for("taskflow_audit"),
                "AUDIT_RETENTION_DATABASE_URL": db.url_for("taskflow_audit_retention"),
                "AUDIT_BATCH_WAIT_SECONDS": "0.02",
            }
        )
    return env


_RUN = "from taskflow.{s}.cli import main; raise SystemExit(main([{args}]))"


@dataclass
class Worker:
    """One worker process: its real command, its log file; killed or stopped by its own pid."""

    service: str
    env: dict[str, str]
    log_path: Path
    popen: subprocess.Popen[bytes] | None = None
    kills: int = 0

    def start(self) -> Worker:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.popen = subprocess.Popen(  # noqa: S603 (our own argv)
                [sys.executable, "-c", _RUN.format(s=self.service, args="'worker'")],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        return self

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed, the broker sees the socket close."""
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(10)
            self.kills += 1

    def stop(self, grace: float = 15) -> int | None:
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        return self.popen.returncode

    def tail(self, lines: int = 25) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return "(no log)"


@dataclass
class Fleet:
    """The four workers."""

    backing: Backing
    logs: Path
    workers: dict[str, Worker] = field(default_factory=dict)

    def start(self, services: Iterable[str] = SERVICES) -> None:
        for s in services:
            self.workers[s] = Worker(
                s, service_env(s, self.backing), self.logs / f"{s}-worker.log"
            ).start()

    def restart(self, service: str) -> None:
        old = self.workers[service]
        self.workers[service] = Worker(old.service, old.env, old.log_path, kills=old.kills).start()

    def stop(self) -> dict[str, int | None]:
        return {s: w.stop() for s, w in self.workers.items()}

    def report(self) -> str:
        return "\n".join(f"--- {s}\n{w.tail()}" for s, w in self.workers.items())

    def dead(self) -> list[str]:
        return [s for s, w in self.workers.items() if not w.alive]


async def consumers_ready(amqp_url: str, services: Iterable[str] = SERVICES) -> bool:
    """Every worker's queue exists and has a consumer."""
    connection = await aio_pika.connect(amqp_url, timeout=5)
    async with connection:
        for s in services:
            channel = await connection.channel()
            try:
                q = await channel.declare_queue(QUEUES[s], passive=True)
            except aio_pika.exceptions.ChannelClosed:
                return False
            if not q.declaration_result.consumer_count:
                return False
            await channel.close()
    return True


async def parked(amqp_url: str) -> dict[str, int]:
    """Messages in each worker queue's DLQ (a duplicate effect would fail and end up here)."""
    out: dict[str, int] = {}
    connection = await aio_pika.connect(amqp_url, timeout=5)
    async with connection:
        for s in SERVICES:
            channel = await connection.channel()
            try:
                q = await channel.declare_queue(f"{QUEUES[s]}.dlq", passive=True)
                out[s] = int(q.declaration_result.message_count or 0)
            except aio_pika.exceptions.ChannelClosed:
                out[s] = 0
    return out


# ------------------------------------------------------------------------------- events


async def seed_people(tasks_engine: AsyncEngine) -> None:
    """Alice and Bob as the auth service announces them (Bob's address verified)."""
    events = [
        UserRegistered(user_id=ALICE, email="alice@example.test", display_name="Alice"),
        UserRegistered(user_id=BOB, email=BOB_EMAIL, display_name="Bob", email_verified=True),
    ]
    async with tasks_engine.begin() as conn:
        await TASKS_OUTBOX.add_many(conn, events, actor_id=None)


def assignment(number: int) -> TaskAssigned:
    """Bob is assigned a task of its own (one aggregate per event: every partition works)."""
    snap = task_snapshot(
        task_id=uuid7(),
        project_id=PROJECT,
        key=f"REL-{number}",
        number=number,
        title=f"Reliability task {number}",
        assignee_ids=[BOB],
        watcher_ids=[],
        reminders=[],
        recurrence=None,
        due_at=None,
        milestone_id=None,
        created_by=ALICE,
        version=1,
    )
    return TaskAssigned(task=snap, assignee_id=BOB)


async def produce(
    tasks_engine: AsyncEngine, total: int, per_second: float, batch: int = 20
) -> list[UUID]:
    """Commit `total` assignments into the tasks outbox at about `per_second`; their ids."""
    ids: list[UUID] = []
    loop = asyncio.get_running_loop()
    started = loop.time()
    while len(ids) < total:
        events = [assignment(len(ids) + i + 1) for i in range(min(batch, total - len(ids)))]
        async with tasks_engine.begin() as conn:
            envelopes = await TASKS_OUTBOX.add_many(conn, events, actor_id=ALICE)
        ids += [e.id for e in envelopes]
        ahead = started + len(ids) / per_second - loop.time()
        if ahead > 0:
            await asyncio.sleep(ahead)
    return ids


@dataclass
class Effects:
    """What each consumer did for the stream's events (counted by event id)."""

    unpublished: int
    audit: int
    audit_distinct: int
    notifications: int
    notifications_distinct: int
    reporting: int
    task_facts: int
    deliveries_sent: int
    deliveries: dict[str, int] = field(default_factory=dict)

    def complete(self, total: int) -> bool:
        return (
            self.unpublished == 0
            and self.audit == self.notifications == self.reporting == total
            and self.task_facts == total
        )


async def effects(admin: AsyncEngine, ids: list[UUID]) -> Effects:
    """Count every consumer's effects of `ids` (as the superuser: one query per schema)."""
    async with admin.connect() as conn:
        statuses = await conn.execute(
            text("SELECT status, count(*) FROM notifications.deliveries GROUP BY status")
        )
        by_status = {str(k): int(v) for k, v in statuses.all()}

        async def one(sql: str) -> int:
            params = {"ids": ids, "project": PROJECT}
            return int((await conn.execute(text(sql), params)).scalar_one())

        return Effects(
            unpublished=await one("SELECT count(*) FROM tasks.outbox WHERE published_at IS NULL"),
            audit=await one("SELECT count(*) FROM audit.entries WHERE event_id = ANY(:ids)"),
            audit_distinct=await one(
                "SELECT count(DISTINCT event_id) FROM audit.entries WHERE event_id = ANY(:ids)"
            ),
            notifications=await one(
                "SELECT count(*) FROM notifications.notifications WHERE source_id = ANY(:ids)"
            ),
            notifications_distinct=await one(
                "SELECT count(DISTINCT source_id) FROM notifications.notifications"
                " WHERE source_id = ANY(:ids)"
            ),
            reporting=await one(
                "SELECT count(*) FROM reporting.event_log WHERE event_id = ANY(:ids)"
            ),
            task_facts=await one(
                "SELECT count(*) FROM reporting.task_facts WHERE project_id = :project"
            ),
            deliveries_sent=await one(
                "SELECT count(*) FROM notifications.deliveries WHERE status = 'sent'"
            ),
            deliveries=by_status,
        )


def verify_audit_chain(b: Backing) -> tuple[int, str]:
    """`taskflow-audit verify` as an operator runs it: (exit code, its JSON line)."""
    env = service_env("audit", b)
    result = subprocess.run(  # noqa: S603 (our own argv)
        [sys.executable, "-c", _RUN.format(s="audit", args="'verify'")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return result.returncode, (result.stdout.strip().splitlines() or [result.stderr[-500:]])[-1]
