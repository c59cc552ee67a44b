"""The WebSocket on two real api replicas sharing Redis: pushes, isolation, resume, auth."""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
import uvicorn
from notifications_testkit import created, member, project, snapshot, uid, user
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Origin

from taskflow.common.logging import configure_logging
from taskflow.notifications.main import build_app
from taskflow.testing import free_port


class Replica:
    def __init__(self, settings: Any, key_source: Any) -> None:
        self.app = build_app(settings, key_source=key_source)
        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(
                self.app,
                host="127.0.0.1",
                port=self.port,
                log_level="warning",
                lifespan="on",
                ws="websockets-sansio",
            )
        )
        self.task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/api/v1/ws"

    async def start(self) -> None:
        self.task = asyncio.create_task(self.server.serve())
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            await asyncio.sleep(0.02)
        await asyncio.wait_for(self.app.state.hub.subscribed.wait(), 5)

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.task is not None:
            await asyncio.wait_for(self.task, 10)


@pytest_asyncio.fixture(loop_scope="session")
async def replicas(settings: Any, key_source: Any) -> AsyncIterator[tuple[Replica, Replica]]:
    a, b = Replica(settings, key_source), Replica(settings, key_source)
    await a.start()
    await b.start()
    yield a, b
    await a.stop()
    await b.stop()


async def _open(url: str, token: str) -> Any:
    ws = await connect(url)
    await ws.send(json.dumps({"type": "auth", "token": token}))
    ready = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert ready["type"] == "ready"
    return ws


async def _next(ws: Any, kind: str, within: float = 1.0) -> dict[str, Any]:
    """The next message of `kind` (pings skipped) within `timeout` seconds."""
    deadline = time.monotonic() + within
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(kind)
        msg = json.loads(await asyncio.wait_for(ws.recv(), left))
        if msg["type"] == kind:
            return msg


async def _collect(ws: Any, kinds: set[str], within: float = 1.0) -> dict[str, dict[str, Any]]:
    """The first message of each kind in `kinds`, in whatever order they come."""
    deadline = time.monotonic() + within
    got: dict[str, dict[str, Any]] = {}
    while set(got) != kinds:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(kinds - set(got))
        msg = json.loads(await asyncio.wait_for(ws.recv(), left))
        if msg["type"] in kinds:
            got.setdefault(msg["type"], msg)
    return got


async def test_push_reaches_a_socket_on_the_other_replica_within_a_second(
    replicas: Any, apply: Any, mint_token: Any
) -> None:
    _, b = replicas
    alice, bob, actor, proj = uid(), uid(), uid(), uid()
    await apply(project(proj, actor))
    await apply(member(proj, alice), actor=actor)
    ws_alice = await _open(b.url, mint_token(str(alice)))
    ws_bob = await _open(replicas[0].url, mint_token(str(bob)))
    try:
        start = time.monotonic()
        await apply(created(snapshot(uid(), proj, creator=actor, assignees=[alice])), actor=actor)
        got = await _collect(ws_alice, {"notification", "event"}, within=1.0)
        assert time.monotonic() - start < 1.0
        assert got["notification"]["notification"]["kind"] == "task_assigned"
        event = got["event"]
        assert event["event"]["type"] == "task.created"
        assert event["event"]["project_id"] == str(proj)
        # Bob is neither assignee nor member: he hears nothing.
        with pytest.raises(TimeoutError):
            await _next(ws_bob, "notification", within=0.3)
        with pytest.raises(TimeoutError):
            await _next(ws_bob, "event", within=0.1)
    finally:
        await ws_alice.close()
        await ws_bob.close()


async def test_member_added_later_starts_receiving_project_events(
    replicas: Any, apply: Any, mint_token: Any
) -> None:
    a, _ = replicas
    alice, actor, proj = uid(), uid(), uid()
    ws = await _open(a.url, mint_token(str(alice)))
    try:
        await apply(member(proj, alice), actor=actor)
        await _next(ws, "notification")  # "added you to ..."
        await apply(created(snapshot(uid(), proj, creator=actor)), actor=actor)
        event = await _next(ws, "event", within=2.0)
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
    ws = await _open(b.url, mint_token(str(alice)))
    try:
        await ws.send(json.dumps({"type": "resume", "since": since.isoformat()}))
        first = await _next(ws, "notification")
        second = await _next(ws, "notification")
        assert first["notification"]["id"] != second["notification"]["id"]
        assert (await _next(ws, "resumed"))["count"] == 2
        await ws.send(json.dumps({"type": "ping"}))
        await _next(ws, "pong")
        await _next(ws, "ping", within=2.0)  # server heartbeat
        # Renewing the token after a resume works on the same socket.
        await ws.send(json.dumps({"type": "auth", "token": mint_token(str(alice))}))
        await _next(ws, "ready", within=2.0)
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
    ws = await _open(a.url, mint_token(str(alice)))
    other = await _open(a.url, mint_token(str(alice)))
    try:
        for _ in range(settings.ws_resume_burst):
            await ws.send(json.dumps({"type": "resume", "since": since}))
            await _next(ws, "resumed")
        await ws.send(json.dumps({"type": "resume", "since": since}))
        refused = await _next(ws, "error")
        assert refused["code"] == "rate_limited"
        assert 1 <= refused["retry_after"] <= settings.ws_resume_interval
        # The socket stays usable, and the limit is this socket's, not the user's.
        await ws.send(json.dumps({"type": "ping"}))
        await _next(ws, "pong")
        await other.send(json.dumps({"type": "resume", "since": since}))
        await _next(other, "resumed")
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


async def _drain_until_closed(ws: Any) -> None:
    while True:
        await asyncio.wait_for(ws.recv(), 5)


async def test_socket_without_valid_auth_is_closed(replicas: Any, mint_token: Any) -> None:
    a, _ = replicas
    for first in (
        {"type": "auth", "token": "not-a-jwt"},
        {"type": "hello"},
        {"type": "auth", "token": mint_token(str(uid()), expires_in=-60)},
    ):
        ws = await connect(a.url)
        await ws.send(json.dumps(first))
        with pytest.raises(ConnectionClosed) as info:
            await _drain_until_closed(ws)
        assert info.value.rcvd is not None
        assert info.value.rcvd.code == 4401


async def test_socket_needs_the_notifications_read_scope(replicas: Any, mint_token: Any) -> None:
    """Every single-scope token but `notifications:read` is refused (an admin's too, 4403)."""
    from taskflow.common.scopes import Scope

    a, _ = replicas
    alice = uid()
    for scope in Scope:
        token = mint_token(str(alice), roles=("admin", "auditor", "user"), scopes=[scope.value])
        ws = await connect(a.url)
        try:
            await ws.send(json.dumps({"type": "auth", "token": token}))
            first = json.loads(await asyncio.wait_for(ws.recv(), 5))
            if scope is Scope.NOTIFICATIONS_READ:
                assert first["type"] == "ready", first
                # A later auth message without the scope does not replace the token.
                weak = mint_token(str(alice), scopes=["tasks:read"])
                await ws.send(json.dumps({"type": "auth", "token": weak}))
                assert (await _next(ws, "error", within=2.0))["code"] == "insufficient_scope"
                continue
            assert first == {"type": "error", "code": "insufficient_scope"}, scope
            with pytest.raises(ConnectionClosed) as info:
                await _drain_until_closed(ws)
            assert info.value.rcvd is not None
            assert info.value.rcvd.code == 4403
        finally:
            await ws.close()


async def test_a_refused_token_on_the_socket_is_a_security_event(
    replicas: Any, mint_token: Any
) -> None:
    """The socket's 403s (a token without `notifications:read`, first or later, and another
    user's token) are `access_denied` security events like every HTTP 403 (issue 17)."""
    a, _ = replicas
    alice, mallory = uid(), uid()
    stream = io.StringIO()
    configure_logging("INFO", json=True, stream=stream)
    try:
        ws = await connect(a.url)
        try:
            weak = mint_token(str(mallory), roles=("admin", "user"), scopes=["tasks:read"])
            await ws.send(json.dumps({"type": "auth", "token": weak}))
            with pytest.raises(ConnectionClosed) as info:
                await _drain_until_closed(ws)
            assert info.value.rcvd is not None
            assert info.value.rcvd.code == 4403
        finally:
            await ws.close()
        ws = await _open(a.url, mint_token(str(alice)))
        try:
            later = mint_token(str(alice), scopes=["reports:read"])
            await ws.send(json.dumps({"type": "auth", "token": later}))
            assert (await _next(ws, "error", within=2.0))["code"] == "insufficient_scope"
            await ws.send(json.dumps({"type": "auth", "token": mint_token(str(mallory))}))
            assert (await _next(ws, "error", within=2.0))["code"] == "user_mismatch"
        finally:
            await ws.close()
    finally:
        configure_logging("INFO", json=True)
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]
    denied = [
        (e["user_id"], e["reason"], e["required_scopes"], e["route"])
        for e in lines
        if e["event"] == "security_event" and e["action"] == "access_denied"
    ]
    assert denied == [
        (str(mallory), "insufficient_scope", ["notifications:read"], "/api/v1/ws"),
        (str(alice), "insufficient_scope", ["notifications:read"], "/api/v1/ws"),
        (str(mallory), "user_mismatch", [], "/api/v1/ws"),
    ], lines
    assert all(
        e["client_ip"] == "127.0.0.1" and e["at"].endswith("Z")
        for e in lines
        if e["event"] == "security_event"
    )


async def test_a_page_on_another_site_cannot_open_the_socket(
    replicas: Any, mint_token: Any, settings: Any
) -> None:
    """Cross-site WebSocket hijacking (ASVS 5.0 4.4.2): the handshake's `Origin` must be ours.

    A page elsewhere could otherwise open the socket in a signed-in user's browser; refused
    with 403 before anything is read, and logged. Our own origin and clients without an
    `Origin` (scripts, not browsers) connect."""
    a, _ = replicas
    alice = uid()
    stream = io.StringIO()
    configure_logging("INFO", json=True, stream=stream)
    try:
        for evil in ("https://evil.example", "http://localhost:8080.evil.example", "null"):
            with pytest.raises(InvalidStatus) as refused:
                await connect(a.url, origin=Origin(evil))
            assert refused.value.response.status_code == 403, evil
    finally:
        configure_logging("INFO", json=True)
    events = [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]
    assert [
        (e["action"], e["reason"], e["origin"], e["route"])
        for e in events
        if e["event"] == "security_event"
    ] == [
        ("access_denied", "origin_not_allowed", o, "/api/v1/ws")
        for o in ("https://evil.example", "http://localhost:8080.evil.example", "null")
    ], events
    ours = settings.public_base_url.rstrip("/")
    ws = await connect(a.url, origin=Origin(ours))
    try:
        await ws.send(json.dumps({"type": "auth", "token": mint_token(str(alice))}))
        assert (await _next(ws, "ready", within=5.0))["user_id"] == str(alice)
    finally:
        await ws.close()


async def test_socket_closes_when_its_token_expires_unless_renewed(
    replicas: Any, mint_token: Any
) -> None:
    a, _ = replicas
    alice = uid()
    opened = time.monotonic()
    ws = await _open(a.url, mint_token(str(alice), expires_in=3))
    # A fresh token for the same user extends the session; another user's is refused.
    await ws.send(json.dumps({"type": "auth", "token": mint_token(str(alice))}))
    await _next(ws, "ready", within=2.0)
    await ws.send(json.dumps({"type": "auth", "token": mint_token(str(uid()))}))
    assert (await _next(ws, "error", within=2.0))["code"] == "user_mismatch"
    short = await _open(a.url, mint_token(str(alice), expires_in=1))
    try:
        err = await _next(short, "error", within=5.0)
        assert err["code"] == "token_expired"
        with pytest.raises(ConnectionClosed) as info:
            await _drain_until_closed(short)
        assert info.value.rcvd is not None
        assert info.value.rcvd.code == 4401
        await asyncio.sleep(max(0.0, 3.5 - (time.monotonic() - opened)))
        await ws.send(json.dumps({"type": "ping"}))
        await _next(ws, "pong", within=2.0)  # still open after the first token's expiry
    finally:
        await ws.close()


def test_boards_do_not_hear_of_invitations() -> None:
    """Invitations name addresses only project admins may list: viewers' boards get none of
    them, while every other project event is pushed."""
    from taskflow.notifications.live.handlers import board_types
    from taskflow.notifications.worker import received

    types = set(board_types(received()))
    assert {"project.member_added", "task.created", "project.updated"} <= types
    assert not {t for t in types if t.startswith("project.invitation_")}
