"""Who may hold the WebSocket: the first message authenticates, the scope, the origin,
the token's end; every refusal is a security event."""

from __future__ import annotations

import asyncio
import io
import json
import time
from typing import Any

import pytest
from live_testkit import drain_until_closed, next_message, open_socket
from notifications_testkit import uid
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Origin

from taskflow.common.logging import configure_logging


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
            await drain_until_closed(ws)
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
                assert (await next_message(ws, "error", within=2.0))["code"] == "insufficient_scope"
                continue
            assert first == {"type": "error", "code": "insufficient_scope"}, scope
            with pytest.raises(ConnectionClosed) as info:
                await drain_until_closed(ws)
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
                await drain_until_closed(ws)
            assert info.value.rcvd is not None
            assert info.value.rcvd.code == 4403
        finally:
            await ws.close()
        ws = await open_socket(a.url, mint_token(str(alice)))
        try:
            later = mint_token(str(alice), scopes=["reports:read"])
            await ws.send(json.dumps({"type": "auth", "token": later}))
            assert (await next_message(ws, "error", within=2.0))["code"] == "insufficient_scope"
            await ws.send(json.dumps({"type": "auth", "token": mint_token(str(mallory))}))
            assert (await next_message(ws, "error", within=2.0))["code"] == "user_mismatch"
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
        assert (await next_message(ws, "ready", within=5.0))["user_id"] == str(alice)
    finally:
        await ws.close()


async def test_socket_closes_when_its_token_expires_unless_renewed(
    replicas: Any, mint_token: Any
) -> None:
    a, _ = replicas
    alice = uid()
    opened = time.monotonic()
    ws = await open_socket(a.url, mint_token(str(alice), expires_in=3))
    # A fresh token for the same user extends the session; another user's is refused.
    await ws.send(json.dumps({"type": "auth", "token": mint_token(str(alice))}))
    await next_message(ws, "ready", within=2.0)
    await ws.send(json.dumps({"type": "auth", "token": mint_token(str(uid()))}))
    assert (await next_message(ws, "error", within=2.0))["code"] == "user_mismatch"
    short = await open_socket(a.url, mint_token(str(alice), expires_in=1))
    try:
        err = await next_message(short, "error", within=5.0)
        assert err["code"] == "token_expired"
        with pytest.raises(ConnectionClosed) as info:
            await drain_until_closed(short)
        assert info.value.rcvd is not None
        assert info.value.rcvd.code == 4401
        await asyncio.sleep(max(0.0, 3.5 - (time.monotonic() - opened)))
        await ws.send(json.dumps({"type": "ping"}))
        await next_message(ws, "pong", within=2.0)  # still open after the first token's expiry
    finally:
        await ws.close()
