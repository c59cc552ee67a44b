"""The WebSocket on two real api replicas sharing Redis: pushes, isolation, resume."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
from live_testkit import collect, next_message, open_socket
from notifications_testkit import created, member, project, snapshot, uid, user


async def test_push_reaches_a_socket_on_the_other_replica_within_a_second(
    replicas: Any, apply: Any, mint_token: Any
) -> None:
    _, b = replicas
    alice, bob, actor, proj = uid(), uid(), uid(), uid()
    await apply(project(proj, actor))
    await apply(member(proj, alice), actor=actor)
    ws_alice = await open_socket(b.url, mint_token(str(alice)))
    ws_bob = await open_socket(replicas[0].url, mint_token(str(bob)))
    try:
        start = time.monotonic()
        await apply(created(snapshot(uid(), proj, creator=actor, assignees=[alice])), actor=actor)
        got = await collect(ws_alice, {"notification", "event"}, within=1.0)
        assert time.monotonic() - start < 1.0
        assert got["notification"]["notification"]["kind"] == "task_assigned"
        event = got["event"]
        assert event["event"]["type"] == "task.created"
        assert event["event"]["project_id"] == str(proj)
        # Bob is neither assignee nor member: he hears nothing.
        with pytest.raises(TimeoutError):
            await next_message(ws_bob, "notification", within=0.3)
        with pytest.raises(TimeoutError):
            await next_message(ws_bob, "event", within=0.1)
    finally:
        await ws_alice.close()
        await ws_bob.close()


async def test_member_added_later_starts_receiving_project_events(
    replicas: Any, apply: Any, mint_token: Any
) -> None:
    a, _ = replicas
    alice, actor, proj = uid(), uid(), uid()
    ws = await open_socket(a.url, mint_token(str(alice)))
    try:
        await apply(member(proj, alice), actor=actor)
        await next_message(ws, "notification")  # "added you to ..."
        await apply(created(snapshot(uid(), proj, creator=actor)), actor=actor)
        event = await next_message(ws, "event", within=2.0)
        assert event["event"]["type"] == "task.created"
    finally:
        await ws.close()


async def test_replica_is_ready_only_with_its_subscription(replicas: Any) -> None:
    import httpx

    a, _ = replicas
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{a.port}") as http:
        assert (await http.get("/readyz")).status_code == 200
        a.app.state.hub.subscribed.clear()
        try:
            r = await http.get("/readyz")
            assert r.status_code == 503
        finally:
            a.app.state.hub.subscribed.set()


async def test_resume_replays_what_was_missed(
    replicas: Any, apply: Any, mint_token: Any, clock: Any
) -> None:
    _a, b = replicas
    alice, bob, actor, proj = uid(), uid(), uid(), uid()
    now = clock.now
    since = now - timedelta(seconds=1)
    await apply(user(alice))
    # Seen before the disconnect (older than `since`): not replayed.
    clock.set(now - timedelta(hours=1))
    await apply(created(snapshot(uid(), proj, creator=actor, assignees=[alice])), actor=actor)
    clock.set(now)
    for _ in range(2):
        await apply(created(snapshot(uid(), proj, creator=actor, assignees=[alice])), actor=actor)
    # Someone else's, in the same window: never replayed to alice.
    await apply(created(snapshot(uid(), proj, creator=actor, assignees=[bob])), actor=actor)
    ws = await open_socket(b.url, mint_token(str(alice)))
    try:
        await ws.send(json.dumps({"type": "resume", "since": since.isoformat()}))
        first = await next_message(ws, "notification")
        second = await next_message(ws, "notification")
        assert first["notification"]["id"] != second["notification"]["id"]
        assert (await next_message(ws, "resumed"))["count"] == 2
        await ws.send(json.dumps({"type": "ping"}))
        await next_message(ws, "pong")
        await next_message(ws, "ping", within=2.0)  # server heartbeat
        # Renewing the token after a resume works on the same socket.
        await ws.send(json.dumps({"type": "auth", "token": mint_token(str(alice))}))
        await next_message(ws, "ready", within=2.0)
    finally:
        await ws.close()


async def test_resume_is_rate_limited_per_connection(
    replicas: Any, apply: Any, mint_token: Any, settings: Any
) -> None:
    """A socket looping `resume` gets refused before the query; another socket is unaffected."""
    a, _ = replicas
    alice = uid()
    await apply(user(alice))
    since = "2000-01-01T00:00:00+00:00"
    ws = await open_socket(a.url, mint_token(str(alice)))
    other = await open_socket(a.url, mint_token(str(alice)))
    try:
        for _ in range(settings.ws_resume_burst):
            await ws.send(json.dumps({"type": "resume", "since": since}))
            await next_message(ws, "resumed")
        await ws.send(json.dumps({"type": "resume", "since": since}))
        refused = await next_message(ws, "error")
        assert refused["code"] == "rate_limited"
        assert 1 <= refused["retry_after"] <= settings.ws_resume_interval
        # The socket stays usable, and the limit is this socket's, not the user's.
        await ws.send(json.dumps({"type": "ping"}))
        await next_message(ws, "pong")
        await other.send(json.dumps({"type": "resume", "since": since}))
        await next_message(other, "resumed")
    finally:
        await ws.close()
        await other.close()


def test_token_bucket_refills_one_per_interval() -> None:
    from taskflow.notifications.live.throttle import TokenBucket

    now = [0.0]
    bucket = TokenBucket(2, 10.0, clock=lambda: now[0])
    assert [bucket.take(), bucket.take(), bucket.take()] == [True, True, False]
    assert bucket.retry_after() == pytest.approx(10.0)
    now[0] = 9.9
    assert not bucket.take()
    now[0] = 10.0
    assert bucket.take()
    now[0] = 1000.0
    assert [bucket.take(), bucket.take(), bucket.take()] == [True, True, False]


def test_boards_do_not_hear_of_invitations() -> None:
    """Invitations name addresses only project admins may list: viewers' boards get none of
    them, while every other project event is pushed."""
    from taskflow.notifications.live.handlers import board_types
    from taskflow.notifications.worker import received

    types = set(board_types(received()))
    assert {"project.member_added", "task.created", "project.updated"} <= types
    assert not {t for t in types if t.startswith("project.invitation_")}
