"""Login, refresh rotation and reuse detection, cookie mode with CSRF, logout, sessions."""

from __future__ import annotations

import statistics
import time

import pytest
from auth_testkit import PASSWORD, Api, bearer

from taskflow.common.errors import TooManyRequests


async def test_login_returns_tokens_the_service_accepts(api: Api) -> None:
    user, pair = await api.signed_in()
    assert pair["token_type"] == "Bearer"
    assert pair["expires_in"] == 900
    assert pair["refresh_token"].startswith("tfr_")
    me = await api.client.get("/api/v1/users/me", headers=bearer(pair))
    assert me.status_code == 200
    assert me.json()["id"] == user["id"]


async def test_unknown_email_and_wrong_password_look_the_same(api: Api) -> None:
    user = await api.register()
    wrong = await api.login(user["email"], "Not-The-Password-99")
    unknown = await api.login(api.email(), "Not-The-Password-99")
    assert wrong.status_code == unknown.status_code == 401
    strip = lambda body: {k: v for k, v in body.items() if k != "request_id"}  # noqa: E731
    assert strip(wrong.json()) == strip(unknown.json())
    assert wrong.headers.get("www-authenticate") == unknown.headers.get("www-authenticate")
    # Both run one argon2 verification: the times are of the same order (no early return).
    durations: dict[str, list[float]] = {"known": [], "unknown": []}
    for _ in range(7):
        for kind, email in (("known", user["email"]), ("unknown", api.email())):
            start = time.perf_counter()
            await api.login(email, "Not-The-Password-99")
            durations[kind].append(time.perf_counter() - start)
    known, unknown_t = (
        statistics.median(durations["known"]),
        statistics.median(durations["unknown"]),
    )
    assert unknown_t > known * 0.3, durations
    events = await api.events("user.login_failed")
    assert {e["reason"] for e in events} >= {"bad_password", "unknown_email"}
    assert all("password" not in str(e).lower().replace("bad_password", "") for e in events)


async def test_refresh_rotates_and_reuse_revokes_the_family(api: Api) -> None:
    _, pair = await api.signed_in()
    first = pair["refresh_token"]
    r = await api.client.post("/api/v1/auth/refresh", json={"refresh_token": first})
    assert r.status_code == 200, r.text
    second = r.json()["refresh_token"]
    assert second != first
    assert r.json()["session_id"] == pair["session_id"]
    # The spent token comes back (stolen copy): 401, and the whole family is dead.
    reuse = await api.client.post("/api/v1/auth/refresh", json={"refresh_token": first})
    assert reuse.status_code == 401
    assert reuse.json()["code"] == "invalid_refresh_token"
    after = await api.client.post("/api/v1/auth/refresh", json={"refresh_token": second})
    assert after.status_code == 401
    # Access tokens of the session no longer work on auth either.
    me = await api.client.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"}
    )
    assert me.status_code == 401


async def test_unknown_refresh_token_is_401(api: Api) -> None:
    r = await api.client.post("/api/v1/auth/refresh", json={"refresh_token": "tfr_" + "x" * 43})
    assert r.status_code == 401


async def test_cookie_mode_needs_the_csrf_token(api: Api) -> None:
    user = await api.register()
    r = await api.client.post(
        "/api/v1/auth/login",
        json={"email": user["email"], "password": PASSWORD},
        headers={"X-Auth-Mode": "cookie"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["refresh_token"] is None
    set_cookies = r.headers.get_list("set-cookie")
    refresh_cookie = next(c for c in set_cookies if c.startswith("tf_refresh="))
    low = refresh_cookie.lower()
    assert "httponly" in low
    assert "secure" in low
    assert "samesite=strict" in low
    assert "path=/api/v1/auth" in low
    csrf = api.client.cookies.get("tf_csrf")
    assert csrf
    # No CSRF header: refused.
    r = await api.client.post("/api/v1/auth/refresh")
    assert r.status_code == 403
    assert r.json()["code"] == "csrf_failed"
    # Foreign origin: refused even with the token.
    r = await api.client.post(
        "/api/v1/auth/refresh", headers={"X-CSRF-Token": csrf, "Origin": "https://evil.example"}
    )
    assert r.status_code == 403
    # Right token and our origin: rotated, new cookies.
    r = await api.client.post(
        "/api/v1/auth/refresh",
        headers={"X-CSRF-Token": csrf, "Origin": "https://taskflow.example"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["refresh_token"] is None
    assert api.client.cookies.get("tf_csrf") != csrf


async def test_cookie_session_token_cannot_be_used_in_the_body(api: Api) -> None:
    user = await api.register()
    r = await api.login(user["email"], cookie=True)
    token = api.client.cookies.get("tf_refresh", path="/api/v1/auth")
    assert token
    api.client.cookies.clear()
    r = await api.client.post("/api/v1/auth/refresh", json={"refresh_token": token})
    assert r.status_code == 401


async def test_logout_ends_the_session(api: Api) -> None:
    _, pair = await api.signed_in()
    r = await api.client.post("/api/v1/auth/logout", headers=bearer(pair))
    assert r.status_code == 204
    r = await api.client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert r.status_code == 401


async def test_sessions_list_and_revoke_own_only(api: Api) -> None:
    user, pair1 = await api.signed_in()
    pair2 = (await api.login(user["email"])).json()
    _, other_pair = await api.signed_in()
    r = await api.client.get("/api/v1/auth/sessions", headers=bearer(pair1))
    assert r.status_code == 200
    items = r.json()["items"]
    assert {i["id"] for i in items} == {pair1["session_id"], pair2["session_id"]}
    assert [i["current"] for i in items if i["id"] == pair1["session_id"]] == [True]
    # Someone else cannot see or end my sessions: 404, and my session still works.
    r = await api.client.delete(
        f"/api/v1/auth/sessions/{pair2['session_id']}", headers=bearer(other_pair)
    )
    assert r.status_code == 404
    assert (await api.client.get("/api/v1/users/me", headers=bearer(pair2))).status_code == 200
    r = await api.client.delete(
        f"/api/v1/auth/sessions/{pair2['session_id']}", headers=bearer(pair1)
    )
    assert r.status_code == 204
    assert (await api.client.get("/api/v1/users/me", headers=bearer(pair2))).status_code == 401
    r = await api.client.get("/api/v1/auth/sessions", headers=bearer(other_pair))
    assert [i["id"] for i in r.json()["items"]] == [other_pair["session_id"]]


async def test_revoke_all_keep_current(api: Api) -> None:
    user, pair1 = await api.signed_in()
    pair2 = (await api.login(user["email"])).json()
    r = await api.client.post(
        "/api/v1/auth/sessions/revoke-all?keep_current=true", headers=bearer(pair1)
    )
    assert r.json() == {"revoked": 1}
    assert (await api.client.get("/api/v1/users/me", headers=bearer(pair1))).status_code == 200
    assert (await api.client.get("/api/v1/users/me", headers=bearer(pair2))).status_code == 401
    r = await api.client.post("/api/v1/auth/sessions/revoke-all", headers=bearer(pair1))
    assert r.json() == {"revoked": 1}
    assert (await api.client.get("/api/v1/users/me", headers=bearer(pair1))).status_code == 401


async def test_failed_logins_are_throttled_per_account(api: Api) -> None:
    user = await api.register()
    # throttle_account_free (5) attempts are evaluated; the fifth locks the account.
    statuses = [
        (await api.login(user["email"], "Wrong-Password-000")).status_code for _ in range(5)
    ]
    assert statuses == [401] * 5
    r = await api.login(user["email"], PASSWORD)  # even the right password waits
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) >= 1
    assert r.json()["code"] == "login_throttled"
    # The same for an email nobody has: no enumeration through 429s either.
    ghost = api.email()
    for _ in range(5):
        await api.login(ghost, "Wrong-Password-000")
    assert (await api.login(ghost, "Wrong-Password-000")).status_code == 429


async def test_the_lock_grows_with_each_failure_past_the_allowance(app: object) -> None:
    from taskflow.auth.sessions.throttle import LoginThrottle

    ctx = app.state.ctx  # type: ignore[attr-defined]
    throttle = LoginThrottle(ctx.throttle.redis, ctx.settings, scope="growth-test")
    account = f"growth-{time.time_ns()}@example.com"
    base = ctx.settings.throttle_base_delay_seconds
    lock_key = throttle._keys("acct", account)[1]
    locks = []
    free = ctx.settings.throttle_account_free
    for _ in range(free + 3):
        await throttle.reserve(account, None)
        locks.append(await throttle.redis.ttl(lock_key))
        if locks[-1] > 0:
            # While locked the next attempt is refused, counted or not ...
            with pytest.raises(TooManyRequests):
                await throttle.reserve(account, None)
            await throttle.redis.delete(lock_key)  # ... so wait the lock out
    assert all(t < 0 for t in locks[: free - 1])  # the allowance costs nothing
    # The attempt that uses it up locks for base, then 2x, 4x, 8x (TTLs read right after
    # setting: within a second of the delay).
    for n, ttl in enumerate(locks[free - 1 :]):
        assert base * 2**n - 1 <= ttl <= base * 2**n, locks
    await throttle.succeeded(account, None)
    assert await throttle.redis.ttl(lock_key) < 0
    assert await throttle.redis.get(throttle._keys("acct", account)[0]) is None


async def test_failed_logins_are_throttled_per_ip(api: Api, app: object) -> None:
    settings = app.state.settings  # type: ignore[attr-defined]
    old = settings.throttle_ip_free
    settings.throttle_ip_free = 3
    try:
        ip = {"X-Forwarded-For": "203.0.113.77"}
        for _ in range(3):
            r = await api.client.post(
                "/api/v1/auth/login",
                json={"email": api.email(), "password": "Wrong-Password-000"},
                headers=ip,
            )
            assert r.status_code == 401
        r = await api.client.post(
            "/api/v1/auth/login", json={"email": api.email(), "password": "x" * 12}, headers=ip
        )
        assert r.status_code == 429
        assert "retry-after" in r.headers
    finally:
        settings.throttle_ip_free = old


async def test_forwarded_for_from_an_untrusted_peer_is_ignored(app: object) -> None:
    """A client talking to auth directly cannot spread its failures over invented IPs."""
    import httpx

    settings = app.state.settings  # type: ignore[attr-defined]
    old = settings.throttle_ip_free
    settings.throttle_ip_free = 3
    transport = httpx.ASGITransport(app=app, client=("198.51.100.23", 4567))  # type: ignore[arg-type]
    try:
        async with httpx.AsyncClient(transport=transport, base_url="https://test") as direct:
            for i in range(4):
                r = await direct.post(
                    "/api/v1/auth/login",
                    json={"email": f"nobody{i}@example.com", "password": "Wrong-Password-000"},
                    headers={"X-Forwarded-For": f"203.0.113.{i + 1}"},
                )
                assert r.status_code == (401 if i < 3 else 429)
            r = await direct.post(
                "/api/v1/auth/login",
                json={"email": "nobody9@example.com", "password": "Wrong-Password-000"},
                headers={"X-Forwarded-For": "203.0.113.200"},
            )
            assert r.status_code == 429  # counted against 198.51.100.23, whatever the header said
    finally:
        settings.throttle_ip_free = old


async def test_bad_input_is_a_422_naming_the_field(api: Api) -> None:
    r = await api.client.post("/api/v1/auth/login", json={"email": "nope", "password": "x"})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert any("email" in e["loc"] for e in r.json()["errors"])
    r = await api.client.post(
        "/api/v1/auth/login", json={"email": "a@b.co", "password": "x" * 5000}
    )
    assert r.status_code == 422


async def test_login_rehashes_when_parameters_change(
    api: Api, make_settings: object, auth_engine: object
) -> None:
    import httpx
    from sqlalchemy import text

    from taskflow.auth.main import build_app

    user = await api.register()  # hashed with t=1, m=1 MiB (the suite's cheap parameters)
    stronger = build_app(make_settings(argon2_time_cost=2, argon2_memory_cost_kib=2048))  # type: ignore[operator]
    async with (
        stronger.router.lifespan_context(stronger),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=stronger), base_url="https://test"
        ) as client,
    ):
        r = await client.post(
            "/api/v1/auth/login", json={"email": user["email"], "password": PASSWORD}
        )
        assert r.status_code == 200, r.text
    async with api.engine.connect() as conn:
        stored = (
            await conn.execute(
                text("SELECT password_hash FROM auth.users WHERE id = :id"), {"id": user["id"]}
            )
        ).scalar_one()
    assert "m=2048,t=2,p=1" in stored
    assert (await api.login(user["email"])).status_code == 200  # and it still verifies


async def test_concurrent_use_of_one_refresh_token_lets_one_win_and_ends_the_family(
    api: Api,
) -> None:
    import asyncio

    _, pair = await api.signed_in()
    body = {"refresh_token": pair["refresh_token"]}
    results = await asyncio.gather(
        *(api.client.post("/api/v1/auth/refresh", json=body) for _ in range(3))
    )
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200, 401, 401]
    winner = next(r for r in results if r.status_code == 200).json()
    r = await api.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": winner["refresh_token"]}
    )
    assert r.status_code == 401  # the family was revoked by the losers' reuse
