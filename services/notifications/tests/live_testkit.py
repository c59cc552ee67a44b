"""Two real notifications api replicas sharing Redis, and a WebSocket client's helpers."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import uvicorn
from websockets.asyncio.client import connect

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


async def open_socket(url: str, token: str) -> Any:
    ws = await connect(url)
    await ws.send(json.dumps({"type": "auth", "token": token}))
    ready = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert ready["type"] == "ready"
    return ws


async def next_message(ws: Any, kind: str, within: float = 1.0) -> dict[str, Any]:
    """The next message of `kind` (pings skipped) within `timeout` seconds."""
    deadline = time.monotonic() + within
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(kind)
        msg = json.loads(await asyncio.wait_for(ws.recv(), left))
        if msg["type"] == kind:
            return msg


async def collect(ws: Any, kinds: set[str], within: float = 1.0) -> dict[str, dict[str, Any]]:
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


async def drain_until_closed(ws: Any) -> None:
    """Read until the server closes the socket (raises ConnectionClosed)."""
    while True:
        await asyncio.wait_for(ws.recv(), 5)
