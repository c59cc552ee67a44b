"""Auth with Redis stalled (through the TCP fault proxy): sign-in fails closed, fast.

The throttle lives in Redis; an unthrottled password check is what an attacker would wait
for, so sign-in answers 503 `redis_unavailable` with Retry-After within the Redis timeout.
Routes that do not need Redis (the JWK set every service fetches) keep answering at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
from pydantic import SecretStr

from taskflow.auth.config import Settings
from taskflow.auth.main import build_app
from taskflow.testing.faults import open_proxy

TIMEOUT = 0.3


async def test_sign_in_fails_closed_and_other_routes_answer(
    make_settings: Callable[..., Settings], redis_url: str, clean: None, auth_engine: Any
) -> None:
    host, port = redis_url.split("//", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1].split(":")
    async with await open_proxy(host, int(port), connect_timeout=2) as proxy:
        app = build_app(
            make_settings(redis_url=SecretStr(proxy.url_for(redis_url)), redis_timeout=TIMEOUT)
        )
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://test") as c,
        ):
            login = {"email": "someone@example.com", "password": "Wrong-Password-000"}
            assert (await c.post("/api/v1/auth/login", json=login)).status_code == 401
            # Warm: the first JWK set read loads (or makes) the signing key.
            assert (await c.get("/api/v1/auth/.well-known/jwks.json")).status_code == 200
            await proxy.stall()
            started = time.perf_counter()
            pending = asyncio.create_task(c.post("/api/v1/auth/login", json=login))
            await asyncio.sleep(0.02)
            reads = []
            for _ in range(3):
                jwks_started = time.perf_counter()
                jwks = await c.get("/api/v1/auth/.well-known/jwks.json")
                assert jwks.status_code == 200
                reads.append(time.perf_counter() - jwks_started)
            # Typical read under 100 ms (the machine is shared), none waiting for Redis.
            assert sorted(reads)[1] < 0.1, reads
            assert max(reads) < TIMEOUT * 0.8, reads
            r = await pending
            elapsed = time.perf_counter() - started
            assert r.status_code == 503, r.text
            assert r.json()["code"] == "redis_unavailable"
            assert int(r.headers["retry-after"]) >= 1
            assert elapsed < TIMEOUT + 0.7, elapsed
            # Nothing was evaluated while the throttle could not count.
            async with auth_engine.connect() as conn:
                from sqlalchemy import text

                n = await conn.scalar(
                    text("SELECT count(*) FROM auth.outbox WHERE event_type = 'user.login_failed'")
                )
            assert n == 1  # the one before the stall
