"""Sign-in bursts, played as an attacker would: many guesses at once, each from its own IP.

Attempts are counted (atomically, in Redis) before a password or code is looked at, so a
burst cannot get more guesses evaluated than the documented allowance
(`throttle_account_free` per account, `mfa_challenge_max_attempts` per MFA challenge); no
request holds a database connection while it waits for the password hasher, and a full
pool or hashing line answers 503 with Retry-After, never 500. Guesses are counted by their
real effect: each evaluated guess writes one `user.login_failed` event.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pyotp
import pytest
from auth_testkit import Api
from test_mfa import _away_from_step_edge, _enrol

from taskflow.auth.config import Settings
from taskflow.auth.main import build_app

BURST = 50


@pytest.fixture
async def tight_api(
    make_settings: Callable[..., Settings], clean: None, auth_engine: Any
) -> AsyncIterator[Api]:
    """The app with a small pool and one hashing slot: the shape that ran dry before."""
    app = build_app(
        make_settings(
            db_pool_size=2,
            db_max_overflow=0,
            db_pool_timeout=1.0,
            password_hash_concurrency=1,
            argon2_time_cost=2,
            argon2_memory_cost_kib=8 * 1024,
        )
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://test") as c,
    ):
        yield Api(c, auth_engine)


def _from(i: int) -> dict[str, str]:
    """A distinct client address per request, as the (trusted, loopback) gateway reports it."""
    return {"X-Forwarded-For": f"203.0.{i // 200}.{i % 200 + 1}"}


async def test_parallel_wrong_passwords_are_counted_before_they_are_checked(
    tight_api: Api,
) -> None:
    api = tight_api
    user = await api.register()
    responses = await asyncio.gather(
        *(
            api.client.post(
                "/api/v1/auth/login",
                json={"email": user["email"], "password": f"Wrong-Password-{i:03d}"},
                headers=_from(i),
            )
            for i in range(BURST)
        )
    )
    statuses = Counter(r.status_code for r in responses)
    assert not [s for s in statuses if s >= 500], statuses
    assert set(statuses) <= {401, 429}, statuses
    evaluated = [
        e
        for e in await api.events("user.login_failed")
        if e["user_id"] == user["id"] and e["reason"] == "bad_password"
    ]
    allowance = Settings().throttle_account_free
    assert len(evaluated) <= allowance, statuses
    assert statuses[401] == len(evaluated)
    assert statuses[429] == BURST - len(evaluated)
    assert all(int(r.headers["retry-after"]) >= 1 for r in responses if r.status_code == 429)


async def test_parallel_wrong_mfa_codes_are_counted_before_they_are_checked(api: Api) -> None:
    user, pair = await api.signed_in()
    secret, _ = await _enrol(api, pair)
    r = await api.login(user["email"])
    mfa_token = r.json()["mfa_token"]
    responses = await asyncio.gather(
        *(
            api.client.post(
                "/api/v1/auth/login/mfa",
                json={"mfa_token": mfa_token, "code": f"{(i * 7919) % 1_000_000:06d}"},
                headers=_from(i),
            )
            for i in range(BURST)
        )
    )
    statuses = Counter(r.status_code for r in responses)
    assert not [s for s in statuses if s >= 500], statuses
    evaluated = [
        e
        for e in await api.events("user.login_failed")
        if e["user_id"] == user["id"] and e["reason"] == "bad_mfa_code"
    ]
    # Any of the 50 codes might be the right one by chance (1 in 20 000): then it signs in.
    assert set(statuses) <= {200, 401, 429}, statuses
    assert len(evaluated) <= Settings().mfa_challenge_max_attempts, statuses
    if statuses[200] == 0:
        # The challenge is used up: even the right code is refused on it now.
        await _away_from_step_edge()
        r = await api.client.post(
            "/api/v1/auth/login/mfa",
            json={"mfa_token": mfa_token, "code": pyotp.TOTP(secret).now()},
        )
        assert r.status_code in (401, 429), r.text


async def test_a_full_hashing_line_is_503_with_retry_after(
    make_settings: Callable[..., Settings], clean: None, auth_engine: Any
) -> None:
    app = build_app(
        make_settings(
            password_hash_concurrency=1,
            password_hash_queue=1,
            argon2_time_cost=2,
            argon2_memory_cost_kib=8 * 1024,
        )
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://test") as c,
    ):
        api = Api(c, auth_engine)
        responses = await asyncio.gather(
            *(api.login(api.email(), "Wrong-Password-000") for _ in range(12))
        )
    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {401, 503}, statuses
    busy = [r for r in responses if r.status_code == 503]
    assert busy, statuses
    assert all(r.json()["code"] == "hashing_busy" for r in busy)
    assert all(int(r.headers["retry-after"]) >= 1 for r in busy)
    assert statuses[401] >= 2  # those in line were served


async def test_forwarded_for_from_a_private_peer_is_not_believed(app: Any, clean: None) -> None:
    """Only configured proxies (default: loopback) may tell auth the client's address: a
    container or pod in a private range cannot spread its guesses over invented IPs."""
    settings = app.state.settings
    old = settings.throttle_ip_free
    settings.throttle_ip_free = 3
    transport = httpx.ASGITransport(app=app, client=("10.9.8.7", 4567))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="https://test") as direct:
            statuses = []
            for i in range(5):
                r = await direct.post(
                    "/api/v1/auth/login",
                    json={"email": f"nobody{i}@example.com", "password": "Wrong-Password-000"},
                    headers={"X-Forwarded-For": f"203.0.113.{i + 1}"},
                )
                statuses.append(r.status_code)
        # Counted against 10.9.8.7, whatever the header said: three evaluated, then locked.
        assert statuses == [401, 401, 401, 429, 429]
    finally:
        settings.throttle_ip_free = old
