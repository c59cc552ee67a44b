"""Every api (they all come from `create_app`) while PostgreSQL is away (issue 16, fault 1).

The database sits behind the TCP fault proxy, which refuses (no server listening), drops
(resets the pooled connections and refuses new ones) or stalls (accepts and never answers).
Whatever the fault, a route that needs the database answers 503 `db_unavailable` problem+json
with Retry-After within its timeouts (never a 500, never a hang), `/readyz` says not ready, a
route without the database keeps answering, and the first request after the fault heals is
served by the same app (no restart).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from pydantic import SecretStr
from sqlalchemy import text

from taskflow.common.db import SessionDep
from taskflow.common.settings import ServiceSettings
from taskflow.testing.faults import TcpProxy, open_proxy

pytestmark = pytest.mark.timeout(60)

TIMEOUT = 1.0  # connect, pool and command timeouts of the app under test (seconds)

router = APIRouter()


@router.post("/write")
async def write(db: SessionDep) -> dict[str, int]:
    return {"one": int((await db.execute(text("SELECT 1"))).scalar_one())}


@router.get("/plain")
async def plain() -> dict[str, bool]:
    return {"ok": True}


@pytest.fixture
async def pg_proxy(settings: ServiceSettings) -> AsyncIterator[TcpProxy]:
    parts = urlsplit(settings.database_url.get_secret_value())
    proxy = await open_proxy(parts.hostname or "127.0.0.1", parts.port or 5432, connect_timeout=2)
    try:
        yield proxy
    finally:
        await proxy.close()


async def _outage(proxy: TcpProxy, mode: str, app: FastAPI) -> None:
    if mode == "refuse":
        await app.state.db.dispose()  # nothing pooled: every request tries a new connection
        await proxy.drop()
    elif mode == "drop":
        await proxy.drop()  # pooled connections reset under the app
    else:
        await proxy.stall()


@pytest.mark.parametrize("mode", ["refuse", "drop", "stall"])
async def test_database_outage_is_503_never_500_and_heals_without_a_restart(
    mode: str,
    make_app: Callable[..., FastAPI],
    settings: ServiceSettings,
    pg_proxy: TcpProxy,
) -> None:
    s = settings.model_copy(
        update={
            "database_url": SecretStr(pg_proxy.url_for(settings.database_url.get_secret_value())),
            "db_pool_timeout": TIMEOUT,
            "db_command_timeout": TIMEOUT,
            "readiness_timeout": TIMEOUT,
        }
    )
    app = make_app(router, settings=s)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=30) as c:
        assert (await c.post("/write")).json() == {"one": 1}  # a live pooled connection
        assert (await c.get("/readyz")).status_code == 200

        await _outage(pg_proxy, mode, app)
        answers = []
        for _ in range(4):
            started = time.perf_counter()
            r = await c.post("/write")
            answers.append((r, time.perf_counter() - started))
        ready = await c.get("/readyz")
        plain_started = time.perf_counter()
        assert (await c.get("/plain")).status_code == 200
        plain_elapsed = time.perf_counter() - plain_started

        for r, elapsed in answers:
            assert r.status_code == 503, r.text
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["code"] == "db_unavailable"
            assert int(r.headers["retry-after"]) >= 1
            # Bounded: a try costs at most the pool's wait plus a connect or a command.
            assert elapsed < 3 * TIMEOUT + 1.0, (mode, elapsed)
        assert ready.status_code == 503
        assert ready.json()["failed"] == ["database"]
        assert plain_elapsed < 0.5

        await pg_proxy.restore()
        healed = time.perf_counter()
        while (r := await c.post("/write")).status_code != 200:
            assert r.status_code == 503, r.text
            assert time.perf_counter() - healed < 10, "the app did not heal by itself"
            await asyncio.sleep(0.1)
        assert (await c.get("/readyz")).status_code == 200
