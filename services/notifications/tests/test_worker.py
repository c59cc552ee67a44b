"""The whole worker on RabbitMQ: consume, notify, mail; duplicates; poison and unknown types
parked; the handler map covers what the queue is bound to; clean stop."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from notifications_testkit import created, publish, snapshot, uid, user
from sqlalchemy import func, select

from taskflow.events.contracts import MilestoneCreated, UserMfaEnabled
from taskflow.events.envelope import Envelope
from taskflow.events.examples import example
from taskflow.notifications.deliveries.models import Delivery
from taskflow.notifications.notifications.models import Notification
from taskflow.notifications.worker import BINDINGS, IGNORED, QUEUE, handler_map, received
from taskflow.testing import wait_until


@pytest_asyncio.fixture(loop_scope="session")
async def running(settings: Any, make_worker: Any) -> AsyncIterator[Any]:
    worker = make_worker(settings)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    await asyncio.wait_for(worker.consumer.ready.wait(), 15)
    yield worker
    stop.set()
    await asyncio.wait_for(task, 15)


async def _count(sessionmaker: Any) -> int:
    async with sessionmaker() as s:
        return int(await s.scalar(select(func.count()).select_from(Notification)) or 0)


async def _send(settings: Any, env: Envelope) -> None:
    await publish(
        settings.amqp_url.get_secret_value(),
        settings.events_exchange,
        env.to_bytes(),
        env.type,
        str(env.id),
    )


async def test_events_become_notifications_and_mail_once(
    running: Any, settings: Any, sessionmaker: Any, smtp_sink: Any
) -> None:
    alice, actor, proj = uid(), uid(), uid()
    await _send(settings, Envelope.wrap(user(alice), source="taskflow/auth", actor_id=None))
    env = Envelope.wrap(
        created(snapshot(uid(), proj, creator=actor, assignees=[alice])),
        source="taskflow/tasks",
        actor_id=actor,
    )
    await _send(settings, env)
    await wait_until(lambda: _count(sessionmaker), timeout=10)
    await smtp_sink.wait_for(lambda m: True, timeout=10)

    # The broker delivers the same event again (a relay retry): nothing new happens.
    before = running.consumer.duplicates
    await _send(settings, env)
    # Counted as a duplicate means handled and dropped: nothing of it can still be in flight.
    await wait_until(lambda: running.consumer.duplicates > before, timeout=10)
    assert await _count(sessionmaker) == 1
    assert len(smtp_sink.messages()) == 1


async def test_the_mail_carries_the_trace_of_the_request_behind_the_event(
    running: Any, settings: Any, sessionmaker: Any, smtp_sink: Any
) -> None:
    """The event's traceparent and request id reach the queued delivery and the mail."""
    alice, actor, proj = uid(), uid(), uid()
    trace = secrets.token_hex(16)
    await _send(settings, Envelope.wrap(user(alice), source="taskflow/auth", actor_id=None))
    env = Envelope.wrap(
        created(snapshot(uid(), proj, creator=actor, assignees=[alice], title="Trace me")),
        source="taskflow/tasks",
        actor_id=actor,
        traceparent=f"00-{trace}-00f067aa0ba902b7-01",
        request_id="req-trace-1",
    )
    await _send(settings, env)
    message = await smtp_sink.wait_for(lambda m: "Trace me" in str(m["Subject"]), timeout=15)
    assert message["X-Trace-Id"] == trace
    async with sessionmaker() as s:
        payloads = (
            await s.scalars(select(Delivery.payload).where(Delivery.channel == "email"))
        ).all()
    mine = [p for p in payloads if p and "Trace me" in p["subject"]]
    assert [(p["traceparent"].split("-")[1], p["request_id"]) for p in mine] == [
        (trace, "req-trace-1")
    ]


async def test_poison_event_is_parked_and_listed_for_admins(
    running: Any, settings: Any, client: Any, auth: Any
) -> None:
    before = running.consumer.parked
    await publish(
        settings.amqp_url.get_secret_value(),
        settings.events_exchange,
        b'{"specversion": "1.0", "type": "task.created", "data": "nope"}',
        "task.created",
        "poison-1",
    )
    await wait_until(lambda: running.consumer.parked > before, timeout=10)
    r = await client.get("/api/v1/notifications/parked", headers=auth(uid(), roles=("admin",)))
    assert r.status_code == 200, r.text
    assert "poison-1" in [m["message_id"] for m in r.json()["items"]]
    r = await client.get("/api/v1/notifications/parked", headers=auth(uid()))
    assert r.status_code == 403
    # Replay is admin-only too; a plain user's request changes nothing.
    r = await client.post(
        "/api/v1/notifications/parked/replay",
        json={"message_ids": ["poison-1"]},
        headers=auth(uid()),
    )
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
    assert running.consumer.parked == before + 1
    # An admin's replay sends it back to the queue; still poison, it is parked again.
    r = await client.post(
        "/api/v1/notifications/parked/replay",
        json={"message_ids": ["poison-1"]},
        headers=auth(uid(), roles=("admin",)),
    )
    assert r.status_code == 200, r.text
    assert r.json()["replayed"] == 1
    await wait_until(lambda: running.consumer.parked > before + 1, timeout=10)
    # The consumer keeps going after parking.
    alice = uid()
    await _send(settings, Envelope.wrap(user(alice), source="taskflow/auth", actor_id=None))
    handled = running.consumer.handled
    await wait_until(lambda: running.consumer.handled > handled, timeout=10)


def test_every_type_the_queue_receives_has_exactly_one_entry(ctx: Any) -> None:
    """A new type under a binding that gets no entry (say a `user.*` one; project events
    always get the live push) fails here before production would park it."""
    types = {cls.event_type for cls in received()}
    assert {"task.created", "comment.edited", "user.mfa_enabled"} <= types
    assert "milestone.created" not in types  # not bound: never reaches the queue
    assert set(handler_map(ctx)) == types
    assert set(IGNORED) <= types


async def test_every_received_event_runs_through_the_map(apply: Any, sessionmaker: Any) -> None:
    """One example of each received type is applied (projections first, then the rest)."""
    for cls in received():
        await apply(example(cls))
    async with sessionmaker() as s:
        assert int(await s.scalar(select(func.count()).select_from(Notification)) or 0) > 0


async def test_ignored_types_are_consumed_and_unhandled_types_are_parked(
    running: Any, settings: Any, client: Any, auth: Any
) -> None:
    import aio_pika

    parked, handled = running.consumer.parked, running.consumer.handled
    mfa = Envelope.wrap(UserMfaEnabled(user_id=uid()), source="taskflow/auth", actor_id=None)
    await _send(settings, mfa)
    await wait_until(lambda: running.consumer.handled > handled, timeout=10)
    assert running.consumer.parked == parked
    # A binding with no handler behind it (a stale one, or one added without its handler):
    # the events library parks what arrives, with the reason, instead of dropping it.
    connection = await aio_pika.connect(settings.amqp_url.get_secret_value())
    try:
        channel = await connection.channel()
        queue = await channel.get_queue(QUEUE, ensure=True)
        await queue.bind(settings.events_exchange, routing_key="milestone.created")
        try:
            stray = Envelope.wrap(example(MilestoneCreated), source="taskflow/tasks", actor_id=None)
            await _send(settings, stray)
            await wait_until(lambda: running.consumer.parked > parked, timeout=10)
        finally:
            await queue.unbind(settings.events_exchange, routing_key="milestone.created")
    finally:
        await connection.close()
    r = await client.get("/api/v1/notifications/parked", headers=auth(uid(), roles=("admin",)))
    assert r.status_code == 200, r.text
    (item,) = [m for m in r.json()["items"] if m["message_id"] == str(stray.id)]
    assert item["error"] == "no handler for 'milestone.created'"
    assert "milestone.*" not in BINDINGS
