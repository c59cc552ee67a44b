"""The webhooks worker on the real broker: events in, one signed message per event and
endpoint out, also when messages are published twice and when a worker is killed mid-send."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import aio_pika
import pytest_asyncio

from taskflow.events import OutboxRelay
from taskflow.events.topology import declare_topology
from taskflow.tasks.db import outbox_rows
from taskflow.tasks.webhooks.worker import WEBHOOKS_QUEUE, run_webhooks_worker
from taskflow.testing import wait_until


@pytest_asyncio.fixture
async def relay(hook_settings, engine):
    """The tasks outbox relay, in the background (events reach the broker)."""
    stop = asyncio.Event()
    r = OutboxRelay(
        engine,
        outbox_rows,
        hook_settings.amqp_url.get_secret_value(),
        hook_settings.events_exchange,
        name="tasks-webhooks-test",
        poll_interval=0.1,
    )
    task = asyncio.create_task(r.run(stop))
    yield r
    stop.set()
    await asyncio.wait_for(task, 20)


@pytest_asyncio.fixture
async def worker(hook_settings):
    # The queue and its bindings exist before the test publishes anything: on a loaded machine
    # the worker may start after the first events, which would then be unroutable and held
    # back by the relay's backoff (the relay publishes with `mandatory`).
    connection = await aio_pika.connect(hook_settings.amqp_url.get_secret_value())
    async with connection:
        await declare_topology(
            await connection.channel(), hook_settings.events_exchange, [WEBHOOKS_QUEUE]
        )
    stop = asyncio.Event()
    task = asyncio.create_task(run_webhooks_worker(hook_settings, stop))
    yield
    stop.set()
    await asyncio.wait_for(task, 20)


async def _hook(client, project, url, types, active=True):
    r = await client.post(
        f"/api/v1/projects/{project.id}/webhooks",
        json={"url": url, "event_types": types, "active": active},
        headers=project.owner.h,
    )
    assert r.status_code == 201, r.text
    return r.json()


async def _all_published(sql) -> bool:
    return (await sql("SELECT count(*) FROM tasks.outbox WHERE published_at IS NULL"))[0][0] == 0


async def test_events_reach_subscribed_endpoints_once_signed_and_public(
    relay, worker, client, make_user, make_project, receiver, sql
):
    ann, bob = await make_user(), await make_user()
    p = await make_project(ann)
    a = await _hook(client, p, receiver.url.replace("/hook", "/a"), ["task.*"])
    b = await _hook(client, p, receiver.url.replace("/hook", "/b"), ["comment.added"])
    await _hook(client, p, receiver.url.replace("/hook", "/off"), ["*"], active=False)
    receiver.secrets = [a["secret"], b["secret"]]
    await p.add(bob, "member")
    t = await p.task(title="first title")
    r = await client.patch(f"/api/v1/tasks/{t['id']}", json={"title": "second"}, headers=ann.h)
    assert r.status_code == 200
    r = await client.post(
        f"/api/v1/tasks/{t['id']}/comments", json={"body": "hello"}, headers=bob.h
    )
    assert r.status_code == 201, r.text

    await wait_until(lambda: len(receiver.got) >= 3, timeout=30)
    by_path = {(g.path, json.loads(g.body)["type"]): g for g in receiver.got}
    assert set(by_path) == {("/a", "task.created"), ("/a", "task.updated"), ("/b", "comment.added")}
    assert by_path["/a", "task.created"].verified_with == [a["secret"]]
    assert by_path["/b", "comment.added"].verified_with == [b["secret"]]
    updated = json.loads(by_path["/a", "task.updated"].body)
    assert updated["data"]["changes"]["title"] == {"before": "first title", "after": "second"}
    assert updated["actor_id"] == str(ann.id)
    assert set(updated) == {"type", "timestamp", "event_id", "actor_id", "data"}
    assert "traceparent" not in by_path["/a", "task.updated"].body.decode()

    # Every event published again (a relay that crashed before marking them sent):
    # the consumer's inbox drops them, and no endpoint gets a second message.
    await sql("UPDATE tasks.outbox SET published_at = NULL")
    await wait_until(lambda: _all_published(sql), timeout=30)
    await asyncio.sleep(1.5)
    assert len(receiver.got) == 3
    assert (await sql("SELECT count(*) FROM tasks.webhook_deliveries"))[0][0] == 3


def _spawn(settings, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TASKS_DATABASE_URL": settings.database_url.get_secret_value(),
        "TASKS_AMQP_URL": settings.amqp_url.get_secret_value(),
        "TASKS_REDIS_URL": settings.redis_url.get_secret_value(),
        "TASKS_REDIS_PREFIX": settings.redis_prefix,
        "TASKS_ENVIRONMENT": "test",
        "TASKS_LOG_LEVEL": "INFO",
        "TASKS_WEBHOOKS_POLL_SECONDS": "0.05",
        "TASKS_WEBHOOKS_READ_TIMEOUT": "60",
    }
    code = "from taskflow.tasks.cli import main; raise SystemExit(main(['webhooks']))"
    return subprocess.Popen(
        [sys.executable, "-c", code], env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT
    )


async def test_a_worker_killed_mid_send_leaves_exactly_one_delivery(
    relay, client, make_user, make_project, receiver, reply, sql, hook_settings, tmp_path
):
    """kill -9 while the receiver holds the request: the next worker sends the same message
    (same webhook-id) again, and the event still has exactly one delivery."""
    ann = await make_user()
    p = await make_project(ann)
    hook = await _hook(client, p, receiver.url, ["task.created"])
    receiver.secrets = [hook["secret"]]
    receiver.script = [reply(200, stall=20)]  # the first worker dies while this one waits
    log = tmp_path / "worker.log"
    first = _spawn(hook_settings, log)
    try:
        await p.task(title="watch me")
        await wait_until(lambda: len(receiver.started) == 1, timeout=60)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        second = _spawn(hook_settings, log)
        try:
            await wait_until(lambda: len(receiver.got) >= 1 and len(receiver.started) >= 2, 60)
            await wait_until(
                lambda: _state(sql, "succeeded"), timeout=30, message=log.read_text()[-2000:]
            )
            await asyncio.sleep(1.0)
        finally:
            second.send_signal(signal.SIGTERM)
            assert second.wait(20) == 0
    finally:
        if first.poll() is None:
            first.kill()
    rows = await sql("SELECT event_id, state, attempts FROM tasks.webhook_deliveries")
    assert len(rows) == 1
    assert rows[0][1] == "succeeded"
    assert rows[0][2] == 1
    # at-least-once with one identity: two sends of one message, the same webhook-id
    assert len(receiver.started) == 2
    assert len(set(receiver.started)) == 1
    answered = [g for g in receiver.got if g.verified_with == [hook["secret"]]]
    assert {g.msg_id for g in answered} == set(receiver.started)
    assert json.loads(answered[0].body)["event_id"] == str(rows[0][0])


async def _state(sql, state: str) -> bool:
    rows = await sql("SELECT state FROM tasks.webhook_deliveries")
    return bool(rows) and all(r[0] == state for r in rows)


async def test_a_moved_task_reaches_the_endpoints_of_both_projects(
    engine, client, make_user, make_project, receiver, sql
):
    """`task.moved` is queued for the target's endpoints and for the source's (once each)."""
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from taskflow.events.envelope import Envelope
    from taskflow.tasks.webhooks.handlers import handle_project_event

    ann = await make_user()
    src, dst, other = await make_project(ann), await make_project(ann), await make_project(ann)
    hooks = {
        name: await _hook(client, p, receiver.url.replace("/hook", f"/{name}"), ["task.*"])
        for name, p in (("src", src), ("dst", dst), ("other", other))
    }
    task = await src.task(title="t")
    r = await client.post(
        f"/api/v1/tasks/{task['id']}/move", json={"project_id": dst.id}, headers=ann.h
    )
    assert r.status_code == 200, r.text
    [(envelope,)] = await sql("SELECT envelope FROM tasks.outbox WHERE event_type = 'task.moved'")
    env = Envelope.model_validate(envelope)
    async with async_sessionmaker(engine)() as session, session.begin():
        await handle_project_event(session, env, env.event())
        await handle_project_event(session, env, env.event())  # a redelivery adds nothing
    rows = await sql(
        "SELECT webhook_id, payload FROM tasks.webhook_deliveries WHERE event_type = 'task.moved'"
    )
    assert sorted(str(w) for (w, _) in rows) == sorted([hooks["src"]["id"], hooks["dst"]["id"]])
    data = {str(w): json.loads(body)["data"] for w, body in rows}
    # The target's members may read the task where it is now: the whole event.
    assert data[hooks["dst"]["id"]]["task"]["project_id"] == dst.id
    assert data[hooks["dst"]["id"]]["from_key"] == task["key"]
    # The source's members can no longer read the task: only what they knew of it.
    assert data[hooks["src"]["id"]] == {
        "task_id": task["id"],
        "from_project_id": src.id,
        "from_key": task["key"],
    }


async def _fan_out(engine, sql, event_type: str) -> None:
    """Run the fan-out handler on every outbox row of `event_type` (no broker needed)."""
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from taskflow.events.envelope import Envelope
    from taskflow.tasks.webhooks.handlers import handle_project_event

    rows = await sql("SELECT envelope FROM tasks.outbox WHERE event_type = :t", t=event_type)
    assert rows, event_type
    async with async_sessionmaker(engine)() as session, session.begin():
        for (envelope,) in rows:
            env = Envelope.model_validate(envelope)
            await handle_project_event(session, env, env.event())


async def test_a_blocker_from_another_project_is_not_passed_on(
    engine, client, make_user, make_project, receiver, sql
):
    """A dependency event names its blocker; a blocker in a project the receiving project's
    members may not be in is left out (`null`), one of the same project is kept."""
    ann = await make_user()
    ops, secret = await make_project(ann), await make_project(ann)
    hook = await _hook(client, ops, receiver.url, ["task.*"])
    blocked = await ops.task(title="ship it")
    near = await ops.task(title="review")
    far = await secret.task(title="merger with ACME")
    for blocker in (near, far):
        r = await client.post(
            f"/api/v1/tasks/{blocked['id']}/blocked-by",
            json={"task_id": blocker["id"]},
            headers=ann.h,
        )
        assert r.status_code == 201, r.text
    await _fan_out(engine, sql, "task.dependency_added")
    rows = await sql(
        "SELECT payload FROM tasks.webhook_deliveries WHERE webhook_id = :w"
        " AND event_type = 'task.dependency_added'",
        w=uuid.UUID(hook["id"]),
    )
    blockers = [json.loads(body)["data"]["blocker"] for (body,) in rows]
    assert len(blockers) == 2
    assert {"task_id": near["id"], "title": "review"}.items() <= next(
        b for b in blockers if b
    ).items()
    assert None in blockers
    assert all("merger with ACME" not in body and far["id"] not in body for (body,) in rows)


async def test_an_edited_comment_carries_its_previous_body(
    engine, client, make_user, make_project, receiver, sql
):
    """Updates carry the changed fields' previous values; for a comment that is its body."""
    ann = await make_user()
    p = await make_project(ann)
    hook = await _hook(client, p, receiver.url, ["comment.edited"])
    t = await p.task(title="t")
    c = await client.post(f"/api/v1/tasks/{t['id']}/comments", json={"body": "teh"}, headers=ann.h)
    assert c.status_code == 201, c.text
    r = await client.patch(
        f"/api/v1/comments/{c.json()['id']}", json={"body": "the"}, headers=ann.h
    )
    assert r.status_code == 200, r.text
    await _fan_out(engine, sql, "comment.edited")
    [(body,)] = await sql(
        "SELECT payload FROM tasks.webhook_deliveries WHERE webhook_id = :w",
        w=uuid.UUID(hook["id"]),
    )
    data = json.loads(body)["data"]
    assert data["body"] == "the"
    assert data["changes"] == {"body": {"before": "teh", "after": "the"}}
