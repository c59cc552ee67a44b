"""A hung Redis (stalled through the TCP fault proxy) must not freeze the notifications api.

Issue 17 (2): every Redis use is async with timeouts, and the behaviour when Redis is silent
is documented per use. Here the api only caches through Redis (the unread count) and fans
out through it (the live hub), so every HTTP route degrades: reads that never touch Redis
answer within 100 ms while a cache read is stuck, the unread count comes from the database
after at most `redis_timeout`, and marking everything read still commits. The app runs in
uvicorn on its own thread and loop, as in production, so a blocking call would freeze it
for the client here. The tasks and auth sides are in `tasks/tests/resilience/
test_redis_stalled.py` and `auth/tests/test_redis_down.py`; the worker's in
`test_redis_stalled.py`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from taskflow.notifications.config import Settings
from taskflow.notifications.main import build_app
from taskflow.testing.faults import TcpProxy
from taskflow.testing.served import proxy_to, timed
from taskflow.testing.served import served as serve

pytestmark = pytest.mark.timeout(60)

REDIS_TIMEOUT = 0.5


@pytest.fixture
async def proxy(redis_url: str) -> AsyncIterator[TcpProxy]:
    async with proxy_to(redis_url, 6379) as p:
        yield p


@pytest.fixture
async def served(settings: Settings, key_source: Any, proxy: TcpProxy) -> AsyncIterator[str]:
    s = settings.model_copy(
        update={
            "redis_url": SecretStr(proxy.url_for(settings.redis_url.get_secret_value())),
            "redis_timeout": REDIS_TIMEOUT,
        }
    )
    async with serve(build_app(s, key_source=key_source), proxy) as base:
        yield base


async def test_stalled_redis_does_not_freeze_the_api(
    served: str, proxy: TcpProxy, auth: Callable[..., dict[str, str]]
) -> None:
    alice = uuid.uuid4()
    h = auth(alice)
    async with httpx.AsyncClient(base_url=served, timeout=10) as c:
        assert (await c.get("/api/v1/notifications/unread-count", headers=h)).json() == {"count": 0}
        await proxy.stall()
        # A cached read waits on the silent Redis while plain reads are measured.
        cached = asyncio.create_task(
            timed(c, "GET", "/api/v1/notifications/unread-count", headers=h)
        )
        await asyncio.sleep(0.05)
        reads = []
        for _ in range(5):
            elapsed, resp = await timed(c, "GET", "/api/v1/notifications", headers=h)
            assert resp.status_code == 200, resp.text
            reads.append(elapsed)
            await asyncio.sleep(0.02)
        # Shared machine: the typical read under 100 ms, none near the Redis timeout.
        assert sorted(reads)[len(reads) // 2] < 0.1, reads
        assert max(reads) < REDIS_TIMEOUT * 0.8, reads
        elapsed, resp = await cached
        assert resp.status_code == 200, resp.text
        assert resp.json() == {"count": 0}  # from the database: the cache degrades
        assert elapsed < REDIS_TIMEOUT + 1.0, elapsed
        # A write commits; forgetting the cached count fails quietly after the commit.
        elapsed, resp = await timed(c, "POST", "/api/v1/notifications/read-all", headers=h)
        assert resp.status_code < 300, resp.text
        assert elapsed < 2 * REDIS_TIMEOUT + 1.0, elapsed
        # And once Redis answers again the cache is used again, without a restart.
        await proxy.restore()
        r = await c.get("/api/v1/notifications/unread-count", headers=h)
        assert r.status_code == 200
        assert r.json() == {"count": 0}
