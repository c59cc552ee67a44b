"""Fixtures of the webhook tests: a real receiver on loopback and a dispatcher with a clock.

The receiver is an ASGI app served by uvicorn in a thread. It verifies every message the way
the specification's own library does (PyPI `standardwebhooks`, not our code), records what it
got, and answers as the test scripts it to (status, headers, body, a stall).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
import uvicorn
from standardwebhooks import Webhook as Verifier
from standardwebhooks import WebhookVerificationError

from taskflow.common.db import Database
from taskflow.common.redis import make_redis
from taskflow.tasks.config import Settings
from taskflow.tasks.webhooks.dispatcher import Dispatcher, outbound_for
from taskflow.testing import free_port


@dataclass
class Reply:
    """One scripted answer: wait `stall` seconds, then answer `status` with `headers`/`body`."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    stall: float = 0.0


@dataclass
class Received:
    """One request as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes
    verified_with: list[str]

    @property
    def msg_id(self) -> str:
        return self.headers["webhook-id"]


@dataclass
class Receiver:
    """A webhook receiver: `script` answers in order (then `default`), `secrets` verify."""

    url: str
    secrets: list[str] = field(default_factory=list)
    script: list[Reply] = field(default_factory=list)
    default: Reply = field(default_factory=Reply)
    got: list[Received] = field(default_factory=list)
    started: list[str] = field(default_factory=list)  # webhook-ids whose request began

    def reset(self) -> None:
        self.secrets, self.script, self.got, self.started = [], [], [], []
        self.default = Reply()

    def verify(self, body: bytes, headers: dict[str, str]) -> list[str]:
        """The secrets (of `secrets`) whose signature is in the message."""
        ok = []
        for secret in self.secrets:
            try:
                Verifier(secret).verify(body, headers)
                ok.append(secret)
            except WebhookVerificationError:
                pass
        return ok


def _app(rx: Receiver) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            msg = await receive()
            body += msg.get("body", b"")
            if not msg.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        # Bound now: a request still stalling when the next test resets the receiver must
        # not land in that test's record.
        got = rx.got
        rx.started.append(headers.get("webhook-id", ""))
        reply = rx.script.pop(0) if rx.script else rx.default
        if reply.stall:
            await asyncio.sleep(reply.stall)
        got.append(Received(scope["path"], headers, body, rx.verify(body, headers)))
        await send(
            {
                "type": "http.response.start",
                "status": reply.status,
                "headers": [(k.encode(), v.encode()) for k, v in reply.headers.items()],
            }
        )
        await send({"type": "http.response.body", "body": reply.body})

    return app


@pytest.fixture(scope="session")
def _receiver_server() -> Iterator[Receiver]:
    port = free_port()
    rx = Receiver(url=f"http://127.0.0.1:{port}/hook")
    server = uvicorn.Server(
        uvicorn.Config(_app(rx), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("receiver did not start")
        time.sleep(0.02)
    yield rx
    server.should_exit = True
    thread.join(5)


@pytest.fixture
def receiver(_receiver_server: Receiver) -> Receiver:
    _receiver_server.reset()
    return _receiver_server


class Clock:
    """An injected clock for the dispatcher's schedule (the signature uses real time)."""

    def __init__(self) -> None:
        self.t = datetime.now(UTC) + timedelta(seconds=1)

    def __call__(self) -> datetime:
        return self.t

    def advance(self, delta: timedelta) -> None:
        self.t += delta

    def catch_up(self) -> None:
        """Never behind the wall clock: rows made by the api (due "now") are due for it."""
        self.t = max(self.t, datetime.now(UTC) + timedelta(milliseconds=1))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def hook_settings(settings: Settings, redis_prefix: str) -> Settings:
    """Short timeouts so that a stalled receiver is a timeout within the test."""
    return settings.model_copy(
        update={
            "webhooks_read_timeout": 0.7,
            "webhooks_connect_timeout": 0.5,
            "webhooks_poll_seconds": 0.05,
            "webhooks_concurrency": 2,
            # a fresh breaker namespace per test: breaker state lives in Redis
            "redis_prefix": f"{redis_prefix}:{time.monotonic_ns()}",
        }
    )


@pytest_asyncio.fixture
async def dispatcher(hook_settings: Settings, clock: Clock) -> AsyncIterator[Dispatcher]:
    """A dispatcher on the test database with the injected clock and no jitter (rand=0.5)."""
    db = Database(hook_settings)
    redis_client = make_redis(hook_settings)
    outbound = outbound_for(hook_settings)
    d = Dispatcher(hook_settings, db, outbound, redis_client, now=clock, rand=lambda: 0.5)
    yield d
    await outbound.aclose()
    await redis_client.aclose()
    await db.dispose()


@pytest.fixture
def reply() -> type[Reply]:
    """The `Reply` class, for scripting the receiver."""
    return Reply
