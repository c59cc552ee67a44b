"""What a route answers when a shared resource is exhausted or silent: 503, never 500.

A full database pool answers 503 `db_busy` with Retry-After; a Redis that does not answer
(stalled through the TCP fault proxy) answers 503 `redis_unavailable` within the client's
timeout, and routes that do not touch Redis keep answering meanwhile.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from sqlalchemy import text

from taskflow.common.db import SessionDep
from taskflow.common.settings import ServiceSettings
from taskflow.testing.faults import TcpProxy, open_proxy

router = APIRouter()


@router.get("/db")
async def uses_db(db: SessionDep) -> dict[str, int]:
    return {"one": int((await db.execute(text("SELECT 1"))).scalar_one())}


@router.get("/redis")
async def uses_redis(request: Request) -> dict[str, bool]:
    return {"seen": bool(await request.app.state.redis.get("tf:anything"))}


@router.get("/plain")
async def plain() -> dict[str, bool]:
    return {"ok": True}


async def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_full_pool_is_503_with_retry_after(
    make_app: Callable[..., FastAPI], settings: ServiceSettings
) -> None:
    s = settings.model_copy(
        update={"db_pool_size": 1, "db_max_overflow": 0, "db_pool_timeout": 0.3}
    )
    app = make_app(router, settings=s)
    async with app.state.db.engine.connect() as held:  # the only connection, taken
        await held.execute(text("SELECT 1"))
        async with await _client(app) as c:
            r = await c.get("/db")
    assert r.status_code == 503, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "db_busy"
    assert int(r.headers["retry-after"]) >= 1
    async with await _client(app) as c:
        assert (await c.get("/db")).json() == {"one": 1}  # and it recovers


@pytest.fixture
async def redis_proxy() -> AsyncIterator[TcpProxy]:
    proxy = await open_proxy("127.0.0.1", 6379, connect_timeout=2)
    try:
        yield proxy
    finally:
        await proxy.close()


async def test_silent_redis_is_503_within_the_timeout(
    make_app: Callable[..., FastAPI], settings: ServiceSettings, redis_proxy: TcpProxy
) -> None:
    s = settings.model_copy(
        update={
            "redis_url": type(settings.redis_url)(redis_proxy.url_for("redis://127.0.0.1:6379/0")),
            "redis_timeout": 0.3,
        }
    )
    app = make_app(router, settings=s)
    async with await _client(app) as c:
        assert (await c.get("/redis")).status_code == 200  # connected through the proxy
        await redis_proxy.stall()
        started = time.perf_counter()
        slow = asyncio.create_task(c.get("/redis"))
        await asyncio.sleep(0.02)
        reads = []
        for _ in range(3):
            plain_started = time.perf_counter()
            assert (await c.get("/plain")).status_code == 200
            reads.append(time.perf_counter() - plain_started)
        # Typical read under 100 ms (the machine is shared), none waiting for Redis.
        assert sorted(reads)[1] < 0.1, reads
        assert max(reads) < 0.25, reads
        r = await slow
        elapsed = time.perf_counter() - started
    assert r.status_code == 503, r.text
    assert r.json()["code"] == "redis_unavailable"
    assert int(r.headers["retry-after"]) >= 1
    assert elapsed < 0.3 + 0.7, elapsed


async def test_breaker_degrades_to_local_state_while_redis_is_silent(
    redis_proxy: TcpProxy, rprefix: str
) -> None:
    """The breaker's shared state is in Redis; a silent Redis costs one timeout, then the
    breaker runs on a state of its own (it still opens) until Redis answers again."""
    from redis.asyncio import Redis

    from taskflow.common.resilience import AsyncCircuitBreaker, CircuitBreakerError

    client = Redis.from_url(
        redis_proxy.url_for("redis://127.0.0.1:6379/0"), socket_timeout=5, socket_connect_timeout=5
    )
    breaker = AsyncCircuitBreaker(
        "silent", redis_client=client, prefix=rprefix, fail_max=2, reset_timeout=60,
        redis_timeout=0.3, local_fallback_seconds=30,
    )  # fmt: skip

    async def ok() -> str:
        return "ok"

    async def down() -> None:
        raise ConnectionError("upstream down")

    try:
        assert await breaker.call(ok) == "ok"
        await redis_proxy.stall()
        started = time.perf_counter()
        assert await breaker.call(ok) == "ok"  # one Redis timeout, then local state
        assert time.perf_counter() - started < 0.3 + 0.5
        started = time.perf_counter()
        for _ in range(2):
            with pytest.raises(ConnectionError):
                await breaker.call(down)
        with pytest.raises(CircuitBreakerError):
            await breaker.call(ok)  # opened locally
        assert await breaker.current_state() == "open"
        assert time.perf_counter() - started < 0.3  # not one more Redis timeout
    finally:
        await redis_proxy.restore()
        await client.aclose()
