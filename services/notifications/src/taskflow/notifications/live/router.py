"""WebSocket `/api/v1/ws`: authenticate with the first message, then receive live pushes.

Protocol (JSON text frames):
- client -> `{"type": "auth", "token": "<access token>"}` first, within `ws_auth_timeout`
  (never a token in the URL: URLs end up in logs); server -> `{"type": "ready", "user_id"}`.
- server -> `{"type": "notification", "notification": {...}}` for each new notification of the
  user, `{"type": "event", "event": {...}}` for changes in the user's projects, and
  `{"type": "ping"}` every `ws_heartbeat_interval` seconds.
- client -> `{"type": "ping"}` answered with `{"type": "pong"}`;
  `{"type": "resume", "since": "<ISO time>"}` replays the user's notifications created after
  `since` (oldest first, then `{"type": "resumed", "count": n}`). Replayed and live messages
  can overlap around the reconnect; clients de-duplicate by notification id. A socket may
  resume `ws_resume_burst` times at once and once per `ws_resume_interval` seconds after;
  beyond that the server answers `{"type": "error", "code": "rate_limited", "retry_after"}`.
- client -> `{"type": "auth", "token": ...}` again at any time (same user) extends the session;
  when the last token expires the server sends `{"type": "error", "code": "token_expired"}`
  and closes with 4401, so a revoked or expired session does not keep a socket open.
- A token without the scope `notifications:read` is refused like a missing one, with
  `{"type": "error", "code": "insufficient_scope"}` (first message: close 4403; a later auth
  message: the socket stays on its earlier token).
- A handshake whose `Origin` is not ours (the public base URL or `cors_origins`) is refused
  with HTTP 403 before the socket opens; clients that send no `Origin` (not a browser) pass.
Close codes: 4401 not authenticated, 4403 insufficient scope, 4400 bad message, 1013 client
too slow.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
import uuid
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, WebSocket, WebSocketDisconnect
from jose import jwt

from taskflow.common.db import Database
from taskflow.common.errors import ProblemError
from taskflow.common.logging import get_logger
from taskflow.common.origins import origin_allowed
from taskflow.common.scopes import Scope
from taskflow.common.security import (
    InsufficientScope,
    ScopeRequirement,
    TokenVerifier,
    in_band_scope,
)
from taskflow.common.security_events import request_security_event
from taskflow.notifications.context import Context
from taskflow.notifications.live import service
from taskflow.notifications.live.hub import Connection, Hub
from taskflow.notifications.live.throttle import TokenBucket

log = get_logger(__name__)
router = APIRouter()

CLOSE_UNAUTHENTICATED = 4401
CLOSE_INSUFFICIENT_SCOPE = 4403
#: The socket authenticates in its first message, so its scope is checked there (and on
#: every later auth message), not at the handshake.
LiveScope = Annotated[ScopeRequirement, Depends(in_band_scope(Scope.NOTIFICATIONS_READ))]
CLOSE_BAD_MESSAGE = 4400
CLOSE_TOO_SLOW = 1013
CLOSE_POLICY = 1008


def _denied(websocket: WebSocket, user_id: uuid.UUID, reason: str, missing: list[str]) -> None:
    """Log a refused token on the socket as the `access_denied` security event every 403 is."""
    request_security_event(
        websocket,
        "access_denied",
        outcome="denied",
        user_id=user_id,
        reason=reason,
        required_scopes=missing,
    )


async def _receive(websocket: WebSocket) -> dict[str, Any] | None:
    """The next JSON object from the client, None for anything that is not one."""
    raw = await websocket.receive_text()
    if len(raw) > 16_384:
        return None
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


@router.websocket("/api/v1/ws")
async def live(websocket: WebSocket, need: LiveScope) -> None:
    """Live notifications and project events for one authenticated user."""
    app = websocket.app
    ctx: Context = app.state.ctx
    hub: Hub = app.state.hub
    verifier: TokenVerifier = app.state.verifier
    db: Database = app.state.db
    settings = ctx.settings
    origin = websocket.headers.get("origin")
    if not origin_allowed(origin, settings):
        # A page on another site opening the socket in a signed-in user's browser (ASVS 4.4.2):
        # refused at the handshake (closing before accepting answers HTTP 403).
        request_security_event(
            websocket, "access_denied", outcome="denied", reason="origin_not_allowed", origin=origin
        )
        await websocket.close(CLOSE_POLICY)
        return
    await websocket.accept()
    try:
        first = await asyncio.wait_for(_receive(websocket), settings.ws_auth_timeout)
        token = first.get("token") if first and first.get("type") == "auth" else None
        if not isinstance(token, str) or not token:
            raise ProblemError("auth first", code="not_authenticated")
        verified = await verifier.verify(token)
        principal = need.check(verified)
    except InsufficientScope as refusal:
        # The socket's 403: logged like every other refusal (who, from where, what it lacked).
        _denied(websocket, verified.user_id, "insufficient_scope", refusal.extra["required_scopes"])
        with contextlib.suppress(Exception):
            await websocket.send_text(
                orjson.dumps({"type": "error", "code": "insufficient_scope"}).decode()
            )
            await websocket.close(CLOSE_INSUFFICIENT_SCOPE)
        return
    except (TimeoutError, ProblemError):
        with contextlib.suppress(Exception):
            await websocket.send_text(
                orjson.dumps({"type": "error", "code": "not_authenticated"}).decode()
            )
            await websocket.close(CLOSE_UNAUTHENTICATED)
        return
    except WebSocketDisconnect:
        return

    async with db.sessionmaker() as session:
        projects = await service.projects_of(session, principal.user_id)
    conn = Connection(websocket, principal.user_id, projects)
    lifetime = _Lifetime(_expiry(token))
    hub.register(conn)
    writer = asyncio.create_task(conn.writer())
    heartbeat = asyncio.create_task(_heartbeat(conn, settings.ws_heartbeat_interval))
    expiry = asyncio.create_task(_expire(lifetime))
    conn.offer({"type": "ready", "user_id": str(principal.user_id)})
    try:
        resumes = TokenBucket(settings.ws_resume_burst, settings.ws_resume_interval)
        reader = asyncio.create_task(
            _read(conn, db, settings.ws_resume_limit, verifier, lifetime, resumes, need)
        )
        done, _ = await asyncio.wait({reader, writer, expiry}, return_when=asyncio.FIRST_COMPLETED)
        if expiry in done:
            conn.offer({"type": "error", "code": "token_expired"})
            conn.queue.put_nowait(None)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer, 1.0)
                await websocket.close(CLOSE_UNAUTHENTICATED)
        elif writer in done and conn.overflowed:
            with contextlib.suppress(Exception):
                await websocket.close(CLOSE_TOO_SLOW)
        for task in (reader, writer):
            if task in done and not task.cancelled() and task.exception() is not None:
                exc = task.exception()
                if not isinstance(exc, WebSocketDisconnect | RuntimeError):
                    log.warning("ws_task_failed", error_type=type(exc).__name__)
        reader.cancel()
    finally:
        hub.unregister(conn)
        heartbeat.cancel()
        expiry.cancel()
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await writer


class _Lifetime:
    """When the socket's authentication runs out; a new auth message moves it."""

    def __init__(self, expires_at: float) -> None:
        self.expires_at = expires_at
        self.moved = asyncio.Event()

    def extend(self, expires_at: float) -> None:
        self.expires_at = max(self.expires_at, expires_at)
        self.moved.set()


def _expiry(token: str) -> float:
    """The `exp` of a token that was just verified (so reading it unverified is safe)."""
    exp = jwt.get_unverified_claims(token).get("exp")
    return float(exp) if isinstance(exp, int | float) else time.time()


async def _expire(lifetime: _Lifetime) -> None:
    """Return once the socket's token has expired (and no newer one arrived)."""
    while True:
        left = lifetime.expires_at - time.time()
        if left <= 0:
            return
        lifetime.moved.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(lifetime.moved.wait(), left)


async def _heartbeat(conn: Connection, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        conn.offer({"type": "ping"})


async def _read(
    conn: Connection,
    db: Database,
    resume_limit: int,
    verifier: TokenVerifier,
    lifetime: _Lifetime,
    resumes: TokenBucket,
    need: ScopeRequirement,
) -> None:
    """Handle client messages until the socket closes."""
    while True:
        message = await _receive(conn.websocket)
        kind = message.get("type") if message else None
        if kind == "ping":
            conn.offer({"type": "pong"})
        elif kind == "auth" and message is not None:
            token = message.get("token")
            try:
                if not isinstance(token, str):
                    raise ProblemError("no token", code="not_authenticated")
                principal = await verifier.verify(token)
            except ProblemError:
                conn.offer({"type": "error", "code": "invalid_token"})
                continue
            missing = need.missing(principal)
            if missing:
                _denied(conn.websocket, principal.user_id, "insufficient_scope", missing)
                conn.offer({"type": "error", "code": "insufficient_scope"})
                continue
            if principal.user_id != conn.user_id:
                # Another account's token on this socket: refused, and logged as a refusal.
                _denied(conn.websocket, principal.user_id, "user_mismatch", [])
                conn.offer({"type": "error", "code": "user_mismatch"})
                continue
            lifetime.extend(_expiry(token))
            conn.offer({"type": "ready", "user_id": str(conn.user_id)})
        elif kind == "resume" and message is not None:
            try:
                since = datetime.fromisoformat(str(message.get("since")))
            except ValueError:
                conn.offer({"type": "error", "code": "invalid_since"})
                continue
            if since.tzinfo is None:
                conn.offer({"type": "error", "code": "invalid_since"})
                continue
            if not resumes.take():
                # Refused before the query: the query is what the limit protects.
                retry = max(1, math.ceil(resumes.retry_after()))
                conn.offer({"type": "error", "code": "rate_limited", "retry_after": retry})
                continue
            async with db.sessionmaker() as session:
                missed = await service.missed_messages(session, conn.user_id, since, resume_limit)
            for missed_message in missed:
                conn.offer(missed_message)
            conn.offer({"type": "resumed", "count": len(missed)})
        else:
            conn.offer({"type": "error", "code": "unknown_message"})
