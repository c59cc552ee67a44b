"""Pooled connections are pinged after an idle spell, not on every request (`Database`).

Each test names its app's connections (`application_name`) so that it can find and end them
from the server side with `pg_terminate_backend`, the way a failover or an idle-session reaper
does, without touching anyone else's.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import asyncpg
import httpx
import pytest
from fastapi import APIRouter, FastAPI
from sqlalchemy import text

from taskflow.common.db import SessionDep
from taskflow.common.settings import ServiceSettings

pytestmark = pytest.mark.timeout(60)

router = APIRouter()


@router.get("/one")
async def one(db: SessionDep) -> dict[str, int]:
    return {"one": int((await db.execute(text("SELECT 1"))).scalar_one())}


def _app(
    make_app: Callable[..., FastAPI], settings: ServiceSettings, window: float
) -> tuple[FastAPI, str]:
    name = f"pingtest-{uuid.uuid4().hex[:8]}"
    s = settings.model_copy(update={"service_name": name, "db_ping_after_idle_s": window})
    return make_app(router, settings=s), name


async def _end_backends(name: str) -> int:
    """Terminate the server connections named `name`; how many there were."""
    conn = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    try:
        rows = await conn.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            name,
        )
    finally:
        await conn.close()
    return len(rows)


async def test_a_connection_used_a_moment_ago_is_not_pinged(
    make_app: Callable[..., FastAPI], settings: ServiceSettings
) -> None:
    app, _ = _app(make_app, settings, window=60.0)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        for _ in range(20):
            assert (await c.get("/one")).json() == {"one": 1}
    assert app.state.db.pings == 0


async def test_an_idle_connection_that_died_is_replaced_without_the_client_noticing(
    make_app: Callable[..., FastAPI], settings: ServiceSettings
) -> None:
    app, name = _app(make_app, settings, window=0.2)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        assert (await c.get("/one")).status_code == 200
        await asyncio.sleep(0.3)  # idle past the window
        assert await _end_backends(name) >= 1
        r = await c.get("/one")
        assert r.status_code == 200, r.text
    assert app.state.db.pings >= 1


async def test_a_connection_that_died_inside_the_window_costs_one_503_then_heals(
    make_app: Callable[..., FastAPI], settings: ServiceSettings
) -> None:
    # The price of not pinging a connection used a moment ago: the request that meets the
    # dead connection is told to retry (503 with Retry-After, never a 500), and the pool is
    # invalidated, so the next one is served on a fresh connection.
    app, name = _app(make_app, settings, window=60.0)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        assert (await c.get("/one")).status_code == 200
        assert await _end_backends(name) >= 1
        await asyncio.sleep(0.1)  # the terminated backend's goodbye reaches the client
        first = await c.get("/one")
        assert first.status_code in (200, 503), first.text
        if first.status_code == 503:
            assert first.json()["code"] == "db_unavailable"
            assert int(first.headers["retry-after"]) >= 1
        assert (await c.get("/one")).status_code == 200
    assert app.state.db.pings == 0
