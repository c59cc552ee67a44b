"""An app served by uvicorn on its own thread and loop, as in production, for fault tests.

In-process transports (httpx's ASGITransport) run the app on the test's own loop, so a
blocking call inside the app would freeze the test too and could not be told apart from a
slow answer. The fault tests (a stalled Redis, a database outage) serve the app for real and
time what a client sees.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx
import uvicorn

from taskflow.testing.faults import TcpProxy, open_proxy
from taskflow.testing.helpers import free_port


class ServedApp:
    """The app on uvicorn in a thread of its own (its own event loop)."""

    def __init__(self, app: Any, *, log_level: str = "warning") -> None:
        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level=log_level)
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self, timeout: float = 20) -> str:
        """Start serving; the base URL once uvicorn says it started."""
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the app did not start")
            time.sleep(0.02)
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@asynccontextmanager
async def proxy_to(url: str, default_port: int) -> AsyncIterator[TcpProxy]:
    """A fault proxy in front of the server of `url` (redis://, postgresql://...)."""
    parts = urlsplit(url)
    proxy = await open_proxy(
        parts.hostname or "127.0.0.1", parts.port or default_port, connect_timeout=2
    )
    try:
        yield proxy
    finally:
        await proxy.close()


@asynccontextmanager
async def served(app: Any, proxy: TcpProxy | None = None) -> AsyncIterator[str]:
    """Serve `app`; on the way out, let the proxy's held bytes go before the loop stops."""
    runner = ServedApp(app)
    base = await asyncio.to_thread(runner.start)
    try:
        yield base
    finally:
        if proxy is not None:
            await proxy.restore()
        await asyncio.to_thread(runner.stop)


async def timed(c: httpx.AsyncClient, method: str, url: str, **kw: Any) -> tuple[float, Any]:
    """Seconds one request took, and its response."""
    started = time.perf_counter()
    resp = await c.request(method, url, **kw)
    return time.perf_counter() - started, resp
