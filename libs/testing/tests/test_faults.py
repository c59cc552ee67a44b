"""The TCP fault proxy against the real Redis and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import aiosmtplib
import asyncpg
import httpx
import pytest
import pytest_asyncio
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from taskflow.testing import FreshDatabase, TcpProxy, free_port, wait_until
from taskflow.testing.caldav import CaldavServer
from taskflow.testing.faults import ProxyState
from taskflow.testing.smtp import SmtpSink

ProxyFactory = Callable[[str, int], Awaitable[TcpProxy]]


@pytest_asyncio.fixture
async def loop_errors() -> AsyncIterator[list[dict[str, Any]]]:
    """Collect whatever the event loop would log as an error during the test."""
    loop = asyncio.get_running_loop()
    seen: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: seen.append(context))
    yield seen
    loop.set_exception_handler(previous)


def _client(url: str, timeout: float = 30) -> aioredis.Redis:
    # No retries: the test wants to see each failure, not redis-py papering over it. The
    # default timeout is generous (a loaded machine); only the stall check uses a short one,
    # where no answer can ever come.
    return aioredis.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry_on_timeout=False,
        retry=None,
    )


async def test_drop_stall_restore_with_redis(
    fault_proxy: ProxyFactory, redis_url: str, redis_prefix: str, loop_errors: list[Any]
) -> None:
    proxy = await fault_proxy("127.0.0.1", 6379)
    url = proxy.url_for(redis_url)
    assert url == f"redis://127.0.0.1:{proxy.port}/0"
    client = _client(url)
    try:
        key = f"{redis_prefix}:proxy"
        await client.set(key, "through", ex=60)
        assert await client.get(key) == b"through"
        assert proxy.connections == 1

        await proxy.drop()
        assert proxy.state is ProxyState.DROPPED
        assert proxy.connections == 0
        with pytest.raises(RedisConnectionError):
            await client.get(key)
        with pytest.raises(ConnectionRefusedError):  # refused, not accepted-then-closed
            await asyncio.open_connection(proxy.host, proxy.port)

        await proxy.restore()
        assert await wait_until(lambda: client.get(key), timeout=30) == b"through"

        await proxy.stall()
        impatient = _client(url, timeout=0.3)
        with pytest.raises(RedisTimeoutError):
            await impatient.get(key)
        await impatient.aclose()
        # A request sent during the stall is held, and answered once the proxy restores.
        patient = aioredis.Redis.from_url(url, socket_timeout=30)
        patient_ping = asyncio.ensure_future(patient.ping())
        await asyncio.sleep(0.2)
        assert not patient_ping.done()
        assert proxy.connections >= 1
        await proxy.restore()
        assert await asyncio.wait_for(patient_ping, 30) is True
        assert await wait_until(lambda: client.get(key), timeout=30) == b"through"
        await patient.aclose()
    finally:
        await client.aclose()
    await proxy.close()
    leftovers = [
        t
        for t in asyncio.all_tasks()
        if t is not asyncio.current_task() and "_on_client" in repr(t.get_coro())
    ]
    assert leftovers == []
    assert loop_errors == []


async def test_postgres_through_the_proxy(
    fault_proxy: ProxyFactory, test_database: FreshDatabase
) -> None:
    proxy = await fault_proxy("127.0.0.1", 5432)
    dsn = proxy.url_for(test_database.dsn_for("taskflow_tasks"))
    conn = await asyncpg.connect(dsn, timeout=30)
    try:
        assert await conn.fetchval("SELECT current_user") == "taskflow_tasks"
        await proxy.drop()
        with pytest.raises((asyncpg.InterfaceError, asyncpg.PostgresConnectionError, OSError)):
            await conn.fetchval("SELECT 1")
    finally:
        conn.terminate()
    await proxy.restore()
    conn = await asyncpg.connect(dsn, timeout=30)
    try:
        await proxy.stall()
        with pytest.raises(TimeoutError):
            await conn.fetchval("SELECT 1", timeout=0.3)
    finally:
        conn.terminate()


async def test_smtp_through_the_proxy(fault_proxy: ProxyFactory, smtp_sink: SmtpSink) -> None:
    """The same proxy breaks mail: refused while dropped, delivered again once restored."""
    proxy = await fault_proxy(smtp_sink.host, smtp_sink.port)

    async def send(subject: str, timeout: float) -> None:  # noqa: ASYNC109
        msg = EmailMessage()
        msg["From"] = "noreply@taskflow.test"
        msg["To"] = "alice@example.test"
        msg["Subject"] = subject
        msg.set_content("hello")
        await aiosmtplib.send(msg, hostname=proxy.host, port=proxy.port, timeout=timeout)

    await send("before", 30)
    await smtp_sink.wait_for(lambda m: m["Subject"] == "before", timeout=30)
    await proxy.drop()
    with pytest.raises(aiosmtplib.SMTPConnectError):
        await send("while dropped", 30)
    await proxy.restore()
    await proxy.stall()
    with pytest.raises(aiosmtplib.SMTPException):  # a hung server: only the timeout ends it
        await send("while stalled", 0.5)
    await proxy.restore()
    await send("after", 30)
    await smtp_sink.wait_for(lambda m: m["Subject"] == "after", timeout=30)
    assert [m["Subject"] for m in smtp_sink.messages()] == ["before", "after"]


async def test_caldav_through_the_proxy(
    fault_proxy: ProxyFactory, caldav_server: CaldavServer
) -> None:
    """The same proxy breaks the calendar server: connection errors, timeouts, recovery."""
    target = urlsplit(caldav_server.url)
    assert target.hostname is not None
    assert target.port is not None
    proxy = await fault_proxy(target.hostname, target.port)
    url = proxy.url_for(caldav_server.url)

    async def propfind(timeout: float) -> int:  # noqa: ASYNC109
        async with httpx.AsyncClient(auth=caldav_server.auth, timeout=timeout) as client:
            resp = await client.request("PROPFIND", f"{url}/", headers={"Depth": "0"})
            return resp.status_code

    assert await propfind(30) == 207
    await proxy.drop()
    with pytest.raises(httpx.ConnectError):
        await propfind(30)
    await proxy.restore()
    await proxy.stall()
    with pytest.raises(httpx.TimeoutException):
        await propfind(0.5)
    await proxy.restore()
    assert await propfind(30) == 207


async def test_unreachable_target_closes_the_client(fault_proxy: ProxyFactory) -> None:
    proxy = await fault_proxy("127.0.0.1", free_port())  # nothing listens there
    reader, writer = await asyncio.open_connection(proxy.host, proxy.port)
    try:
        assert await asyncio.wait_for(reader.read(), 30) == b""
    finally:
        writer.close()
    await wait_until(lambda: proxy.connections == 0, timeout=30)


def test_free_port_is_bindable() -> None:
    import socket

    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


async def test_wait_until_times_out_with_the_last_error() -> None:
    async def broken() -> bool:
        raise ValueError("not yet")

    with pytest.raises(TimeoutError, match="not yet"):
        await wait_until(broken, timeout=0.1, interval=0.02)
    assert await wait_until(lambda: 42, timeout=0.1) == 42
