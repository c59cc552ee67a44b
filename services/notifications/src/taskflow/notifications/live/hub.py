"""The fan-out inside one api replica: one Redis pattern subscription, many sockets.

Each replica subscribes once to `<prefix>:ws:*` and hands every message to the sockets of that
user or project it holds. A socket has a bounded outgoing queue and its own writer task, so a
slow client can never hold up the others; one that falls too far behind is disconnected (it
resumes on reconnect).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.websockets import WebSocket

from taskflow.common.logging import get_logger
from taskflow.notifications.live.channels import pattern

log = get_logger(__name__)

QUEUE_LIMIT = 500


class Connection:
    """One authenticated socket: its user, the projects it follows, and its outgoing queue."""

    def __init__(self, websocket: WebSocket, user_id: uuid.UUID, projects: set[uuid.UUID]) -> None:
        self.websocket = websocket
        self.user_id = user_id
        self.projects = set(projects)
        self.queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(QUEUE_LIMIT)
        self.overflowed = False

    def offer(self, message: dict[str, Any]) -> None:
        """Queue a message; a full queue marks the socket for disconnection."""
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.overflowed = True
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
            self.queue.put_nowait(None)

    async def writer(self) -> None:
        """Send queued messages until told to stop (None) or the socket fails."""
        while True:
            message = await self.queue.get()
            if message is None:
                return
            await self.websocket.send_text(orjson.dumps(message).decode())


class Hub:
    """The replica's registry of sockets and its Redis subscription."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self.users: dict[uuid.UUID, set[Connection]] = {}
        self.projects: dict[uuid.UUID, set[Connection]] = {}
        self._task: asyncio.Task[None] | None = None
        self.subscribed = asyncio.Event()

    def register(self, conn: Connection) -> None:
        self.users.setdefault(conn.user_id, set()).add(conn)
        for project_id in conn.projects:
            self.projects.setdefault(project_id, set()).add(conn)

    def unregister(self, conn: Connection) -> None:
        self.users.get(conn.user_id, set()).discard(conn)
        if not self.users.get(conn.user_id):
            self.users.pop(conn.user_id, None)
        for project_id in conn.projects:
            self._leave(conn, project_id)

    def _leave(self, conn: Connection, project_id: uuid.UUID) -> None:
        bucket = self.projects.get(project_id)
        if bucket is not None:
            bucket.discard(conn)
            if not bucket:
                self.projects.pop(project_id, None)

    def dispatch(self, channel: str, message: dict[str, Any]) -> None:
        """Route one pub/sub message to the local sockets it concerns."""
        parts = channel[len(self.prefix) + 1 :].split(":")
        if len(parts) != 3 or parts[0] != "ws":
            return
        try:
            target = uuid.UUID(parts[2])
        except ValueError:
            return
        if parts[1] == "user":
            for conn in list(self.users.get(target, ())):
                kind = message.get("type")
                if kind in ("_join", "_leave"):
                    self._membership(conn, kind, message)
                else:
                    conn.offer(message)
        elif parts[1] == "project":
            for conn in list(self.projects.get(target, ())):
                conn.offer(message)

    def _membership(self, conn: Connection, kind: str, message: dict[str, Any]) -> None:
        try:
            project_id = uuid.UUID(str(message.get("project_id")))
        except ValueError:
            return
        if kind == "_join":
            conn.projects.add(project_id)
            self.projects.setdefault(project_id, set()).add(conn)
        else:
            conn.projects.discard(project_id)
            self._leave(conn, project_id)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="ws-hub")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for conns in list(self.users.values()):
            for conn in list(conns):
                with contextlib.suppress(asyncio.QueueFull):
                    conn.queue.put_nowait(None)

    async def _listen(self) -> None:
        """Subscribe and dispatch forever, resubscribing after a Redis failure."""
        delay = 0.2
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(pattern(self.prefix))
                self.subscribed.set()
                delay = 0.2
                while True:
                    msg = await pubsub.get_message(timeout=1.0)
                    if msg is None or msg.get("type") != "pmessage":
                        continue
                    channel = msg["channel"]
                    if isinstance(channel, bytes):
                        channel = channel.decode()
                    try:
                        data = orjson.loads(msg["data"])
                    except orjson.JSONDecodeError:
                        continue
                    if isinstance(data, dict):
                        self.dispatch(channel, data)
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError):
                self.subscribed.clear()
                log.warning("ws_hub_redis_lost", retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
