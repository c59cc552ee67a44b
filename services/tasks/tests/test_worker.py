"""The worker on the real broker: relay -> RabbitMQ -> consumers, SIGTERM-style stop."""

from __future__ import annotations

import asyncio
import uuid

import aio_pika
import pytest_asyncio

from taskflow.common.db import Database
from taskflow.events.contracts.users import UserRegistered, UserUpdated
from taskflow.events.envelope import Envelope
from taskflow.tasks.db import OUTBOX
from taskflow.tasks.worker import run_worker
from taskflow.testing import wait_until


@pytest_asyncio.fixture
async def worker(settings, amqp_url):
    """The whole worker in the background, plus a catch-all queue standing in for the other
    services' consumers (the relay publishes with `mandatory`: unrouted events are not sent)."""
    conn = await aio_pika.connect(amqp_url)
    ch = await conn.channel()
    ex = await ch.declare_exchange(
        settings.events_exchange, aio_pika.ExchangeType.TOPIC, durable=True
    )
    sink = await ch.declare_queue(
        "tasks-test.sink", durable=True, arguments={"x-queue-type": "quorum"}
    )
    await sink.bind(ex, "#")
    stop = asyncio.Event()
    fast = settings.model_copy(update={"recurrence_interval_seconds": 0.2})
    task = asyncio.create_task(run_worker(fast, stop))
    yield ex
    stop.set()
    await asyncio.wait_for(task, 20)
    await sink.purge()
    await conn.close()


async def test_completion_creates_next_occurrence_through_the_broker(
    worker, client, make_user, make_project, sql
):
    ann = await make_user()
    p = await make_project(ann)
    t = await p.task(
        title="weekly report",
        due_at="2026-01-05T09:00:00Z",
        recurrence={"rrule": "FREQ=WEEKLY;BYDAY=MO", "mode": "after_completion"},
    )
    r = await client.patch(f"/api/v1/tasks/{t['id']}", json={"status": "done"}, headers=ann.h)
    assert r.status_code == 200
    series = uuid.UUID(t["id"])

    async def count() -> int:
        return (await sql("SELECT count(*) FROM tasks.tasks WHERE series_id = :i", i=series))[0][0]

    await wait_until(lambda: _eq(count, 2), timeout=15)
    # reopen and complete again: another task.completed, still exactly one successor
    await client.patch(f"/api/v1/tasks/{t['id']}", json={"status": "todo"}, headers=ann.h)
    await client.patch(f"/api/v1/tasks/{t['id']}", json={"status": "done"}, headers=ann.h)
    await wait_until(lambda: _outbox_sent(sql), timeout=15)
    # Wait until the consumer has handled the second completion (its inbox row is written in
    # the same transaction as any successor), then there must still be exactly one successor.
    last = await sql(
        "SELECT event_id FROM tasks.outbox WHERE event_type = 'task.completed' ORDER BY id DESC"
    )
    await wait_until(lambda: _handled(sql, last[0][0]), timeout=15)
    assert await count() == 2


async def _eq(f, n):
    return await f() == n


async def _handled(sql, event_id) -> bool:
    return bool(await sql("SELECT 1 FROM tasks.inbox WHERE event_id = :e", e=event_id))


async def _outbox_sent(sql) -> bool:
    return (await sql("SELECT count(*) FROM tasks.outbox WHERE published_at IS NULL"))[0][0] == 0


async def test_user_events_feed_the_projection_once(worker, settings, sql):
    uid = uuid.uuid4()
    db = Database(settings)
    try:
        async with db.sessionmaker.begin() as s:
            await OUTBOX.add(
                s,
                UserRegistered(
                    user_id=uid, email="Zed@Example.com", display_name="Zed", timezone="Asia/Tokyo"
                ),
                actor_id=None,
            )
    finally:
        await db.dispose()

    async def projected() -> bool:
        return bool(await sql("SELECT 1 FROM tasks.users WHERE id = :i", i=uid))

    await wait_until(projected, timeout=15)
    rows = await sql("SELECT email, display_name, timezone FROM tasks.users WHERE id = :i", i=uid)
    assert rows[0] == ("zed@example.com", "Zed", "Asia/Tokyo")
    # a duplicate delivery of an older event after a newer one changes nothing
    newer = Envelope.wrap(
        UserUpdated(
            user_id=uid,
            changes={},
            email="zed@example.com",
            display_name="Zed Two",
            timezone="UTC",
            locale="en",
            email_verified=True,
            roles=["user"],
        ),
        source="taskflow/auth",
        actor_id=None,
    )
    await worker.publish(
        aio_pika.Message(newer.to_bytes(), message_id=str(newer.id)), routing_key="user.updated"
    )
    await worker.publish(
        aio_pika.Message(newer.to_bytes(), message_id=str(newer.id)), routing_key="user.updated"
    )

    async def renamed() -> bool:
        rows = await sql("SELECT display_name FROM tasks.users WHERE id = :i", i=uid)
        return rows[0][0] == "Zed Two"

    await wait_until(renamed, timeout=15)
    inbox = await sql("SELECT count(*) FROM tasks.inbox WHERE event_id = :e", e=newer.id)
    assert inbox[0][0] == 1


async def test_a_verified_invited_address_joins_through_the_broker(
    worker, settings, client, make_user, make_project, sql
):
    """auth's `user.registered` (unverified) then `user.updated` (verified), relayed and
    consumed by the `tasks.users` queue: the invited address becomes a member once."""
    ann = await make_user()
    p = await make_project(ann)
    r = await client.post(
        f"/api/v1/projects/{p.id}/members",
        json={"email": "ivy@example.com", "role": "viewer"},
        headers=ann.h,
    )
    assert r.status_code == 202
    uid = uuid.uuid4()
    db = Database(settings)
    try:
        async with db.sessionmaker.begin() as s:
            await OUTBOX.add(
                s, UserRegistered(user_id=uid, email="ivy@example.com", display_name="Ivy"),
                actor_id=uid,
            )  # fmt: skip
            await OUTBOX.add(
                s,
                UserUpdated(
                    user_id=uid, changes={}, email="ivy@example.com", display_name="Ivy",
                    timezone="UTC", locale="en", email_verified=True, roles=["user"],
                ),
                actor_id=uid,
            )  # fmt: skip
    finally:
        await db.dispose()

    async def joined() -> bool:
        rows = await sql(
            "SELECT role FROM tasks.project_members WHERE project_id = :p AND user_id = :u",
            p=p.id,
            u=uid,
        )
        return rows == [("viewer",)]

    await wait_until(joined, timeout=20)
    await wait_until(lambda: _outbox_sent(sql), timeout=15)
    accepted = await sql(
        "SELECT count(*) FROM tasks.outbox WHERE event_type = 'project.invitation_accepted'"
    )
    assert accepted[0][0] == 1
