"""Registration, email verification, password forgot/reset/change."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from auth_testkit import PASSWORD, Api, bearer
from sqlalchemy import text

NEW_PASSWORD = "Another-Long-Passphrase-7"


async def _forget_mail_window(api: Api, email: str) -> None:
    """Let another mail go out now (the window is a Redis key with a TTL)."""
    import hashlib

    from taskflow.common.redis import key

    app = api.client._transport.app  # type: ignore[attr-defined]
    settings = app.state.settings
    digest = hashlib.sha256(email.encode()).hexdigest()[:32]
    await app.state.redis.delete(key(settings.redis_prefix, "auth", "once", "reset", digest))


def _token(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


async def test_register_normalises_email_and_emits_events(api: Api) -> None:
    r = await api.client.post(
        "/api/v1/auth/register",
        json={"email": "  Grace@Example.COM ", "password": PASSWORD, "display_name": " Grace "},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["email"] == "grace@example.com"
    assert body["display_name"] == "Grace"
    assert body["roles"] == ["user"]
    assert body["email_verified"] is False
    assert "password" not in r.text
    assert "argon2" not in r.text
    registered = await api.events("user.registered")
    assert [e["email"] for e in registered] == ["grace@example.com"]
    verify = await api.events("user.verification_requested")
    assert verify[0]["verify_url"].startswith("https://taskflow.example/verify-email?token=")
    # Same email in another case: still the one account (normalised and unique).
    r = await api.client.post(
        "/api/v1/auth/register",
        json={"email": "GRACE@example.com", "password": NEW_PASSWORD, "display_name": "G"},
    )
    assert r.status_code == 201
    async with api.engine.connect() as conn:
        emails = (
            (await conn.execute(text("SELECT email FROM auth.users WHERE email LIKE 'grace@%'")))
            .scalars()
            .all()
        )
    assert emails == ["grace@example.com"]
    assert (await api.login("grace@example.com", PASSWORD)).status_code == 200
    assert (await api.login("grace@example.com", NEW_PASSWORD)).status_code == 401


async def test_registering_a_taken_email_looks_like_a_new_account(api: Api) -> None:
    """No user enumeration: same status and body shape; the owner gets a reset mail."""
    owner = await api.register(name="Owner")
    fresh_email = api.email()
    taken = await api.client.post(
        "/api/v1/auth/register",
        json={"email": owner["email"], "password": NEW_PASSWORD, "display_name": "Mallory"},
    )
    fresh = await api.client.post(
        "/api/v1/auth/register",
        json={"email": fresh_email, "password": NEW_PASSWORD, "display_name": "Mallory"},
    )
    assert taken.status_code == fresh.status_code == 201
    assert set(taken.json()) == set(fresh.json())
    assert set(taken.headers) == set(fresh.headers)
    same = ("email_verified", "roles", "mfa_enabled", "is_active", "version", "display_name")
    assert {k: taken.json()[k] for k in same} == {k: fresh.json()[k] for k in same}
    assert taken.json()["id"] != owner["id"]  # nothing about the real account leaks
    assert taken.json()["email"] == owner["email"]
    # The owner is told (a reset link, useful if they forgot they have an account); only the
    # new address gets a verification link and a user.registered event.
    resets = await api.events("user.password_reset_requested")
    assert [e["user_id"] for e in resets] == [owner["id"]]
    verifies = [e["email"] for e in await api.events("user.verification_requested")]
    assert verifies == [owner["email"], fresh_email]
    registered = [e["email"] for e in await api.events("user.registered")]
    assert registered == [owner["email"], fresh_email]
    # The attacker's password did not replace the owner's.
    assert (await api.login(owner["email"], NEW_PASSWORD)).status_code == 401
    assert (await api.login(owner["email"], PASSWORD)).status_code == 200


async def test_concurrent_registrations_of_one_email_make_one_account(api: Api) -> None:
    import asyncio

    email = api.email()
    body = {"email": email, "password": PASSWORD, "display_name": "Twin"}
    results = await asyncio.gather(
        *(api.client.post("/api/v1/auth/register", json=body) for _ in range(3))
    )
    assert [r.status_code for r in results] == [201, 201, 201]
    async with api.engine.connect() as conn:
        count = (
            await conn.execute(
                text("SELECT count(*) FROM auth.users WHERE email = :e"), {"e": email}
            )
        ).scalar_one()
    assert count == 1


async def test_register_refuses_weak_passwords_naming_the_field(api: Api) -> None:
    for password in ("short", "password1234", "QAZWSXEDCRFV", "Qwerty123456"):
        r = await api.client.post(
            "/api/v1/auth/register",
            json={"email": api.email(), "password": password, "display_name": "X"},
        )
        assert r.status_code == 422, password
        assert r.json()["code"] == "weak_password"
        assert r.json()["errors"][0]["loc"] == ["body", "password"]
        assert password not in r.text


async def test_verify_email_is_single_use(api: Api) -> None:
    user = await api.register()
    token = _token((await api.events("user.verification_requested"))[-1]["verify_url"])
    r = await api.client.post("/api/v1/auth/verify-email", json={"token": token})
    assert r.status_code == 200
    r = await api.client.post("/api/v1/auth/verify-email", json={"token": token})
    assert r.status_code == 400
    assert r.json()["code"] == "invalid_or_expired_token"
    _, pair = user, (await api.login(user["email"])).json()
    me = await api.client.get("/api/v1/users/me", headers=bearer(pair))
    assert me.json()["email_verified"] is True
    updated = await api.events("user.updated")
    assert updated[-1]["changes"] == {"email_verified": {"before": False, "after": True}}


async def test_forgot_password_says_the_same_for_unknown_emails(api: Api) -> None:
    user = await api.register()
    known = await api.client.post("/api/v1/auth/password/forgot", json={"email": user["email"]})
    unknown = await api.client.post("/api/v1/auth/password/forgot", json={"email": api.email()})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    resets = await api.events("user.password_reset_requested")
    assert [e["email"] for e in resets] == [user["email"]]


async def test_forgot_password_answers_before_looking_the_account_up(api: Api) -> None:
    """The 202 goes out before any account work, so its timing cannot reveal the account."""
    import asyncio
    import json

    from taskflow.auth.users import service

    app = api.client._transport.app  # type: ignore[attr-defined]
    user = await api.register()
    order: list[str] = []
    real = service.forgot_password

    async def traced(*args: object) -> None:
        order.append("lookup")
        await real(*args)  # type: ignore[arg-type]

    async def call(email: str) -> None:
        body = json.dumps({"email": email}).encode()
        sent = False

        async def receive() -> dict[str, object]:
            nonlocal sent
            if sent:
                await asyncio.Event().wait()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, object]) -> None:
            if message["type"] == "http.response.start":
                order.append(f"answer {message['status']}")

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "https",
            "path": "/api/v1/auth/password/forgot",
            "raw_path": b"/api/v1/auth/password/forgot",
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"test"), (b"content-type", b"application/json")],
            "client": ("127.0.0.1", 1234),
            "server": ("test", 443),
        }
        await app(scope, receive, send)

    service.forgot_password = traced  # type: ignore[assignment]
    try:
        await call(user["email"])
        await call(api.email())
    finally:
        service.forgot_password = real  # type: ignore[assignment]
    assert order == ["answer 202", "lookup", "answer 202", "lookup"]
    assert [e["email"] for e in await api.events("user.password_reset_requested")] == [
        user["email"]
    ]


async def test_reset_password_ends_sessions_and_link_works_once(api: Api) -> None:
    user, pair = await api.signed_in()
    await api.client.post("/api/v1/auth/password/forgot", json={"email": user["email"]})
    await api.client.post("/api/v1/auth/password/forgot", json={"email": user["email"]})
    assert len(await api.events("user.password_reset_requested")) == 1  # one mail a minute
    await _forget_mail_window(api, user["email"])
    await api.client.post("/api/v1/auth/password/forgot", json={"email": user["email"]})
    urls = [e["reset_url"] for e in await api.events("user.password_reset_requested")]
    first, second = _token(urls[0]), _token(urls[1])
    r = await api.client.post(
        "/api/v1/auth/password/reset", json={"token": second, "new_password": "short"}
    )
    assert r.status_code == 422  # the policy; the refused attempt spends nothing
    r = await api.client.post(
        "/api/v1/auth/password/reset", json={"token": second, "new_password": NEW_PASSWORD}
    )
    assert r.status_code == 204, r.text
    for token in (first, second):  # the older link died with the reset; the used one too
        r = await api.client.post(
            "/api/v1/auth/password/reset", json={"token": token, "new_password": NEW_PASSWORD}
        )
        assert r.status_code == 400
    assert (await api.login(user["email"], PASSWORD)).status_code == 401
    assert (await api.login(user["email"], NEW_PASSWORD)).status_code == 200
    r = await api.client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert r.status_code == 401
    # Reading the reset mail proved the address: verified, announced like any other change.
    updated = await api.events("user.updated")
    assert updated[-1]["changes"] == {"email_verified": {"before": False, "after": True}}
    assert updated[-1]["user_id"] == user["id"]


async def test_change_password_ends_other_sessions(api: Api) -> None:
    user, pair1 = await api.signed_in()
    pair2 = (await api.login(user["email"])).json()
    r = await api.client.post(
        "/api/v1/auth/password/change",
        json={"current_password": "Wrong-Password-000", "new_password": NEW_PASSWORD},
        headers=bearer(pair1),
    )
    assert r.status_code == 401
    r = await api.client.post(
        "/api/v1/auth/password/change",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=bearer(pair1),
    )
    assert r.status_code == 204
    assert (await api.client.get("/api/v1/users/me", headers=bearer(pair1))).status_code == 200
    assert (await api.client.get("/api/v1/users/me", headers=bearer(pair2))).status_code == 401
    assert (await api.login(user["email"], NEW_PASSWORD)).status_code == 200


async def _pat(api: Api, pair: dict[str, Any], name: str = "ci") -> str:
    r = await api.client.post(
        "/api/v1/auth/tokens", json={"name": name, "scopes": ["tasks:read"]}, headers=bearer(pair)
    )
    assert r.status_code == 201, r.text
    return str(r.json()["token"])


async def _exchange(api: Api, token: str) -> int:
    r = await api.client.post(
        "/api/v1/auth/token", json={"grant_type": "personal_access_token", "token": token}
    )
    return r.status_code


async def test_reset_password_ends_api_tokens(api: Api) -> None:
    """Whoever needed a reset may have lost the password to someone who made a token."""
    user, pair = await api.signed_in()
    token = await _pat(api, pair)
    assert await _exchange(api, token) == 200
    await api.client.post("/api/v1/auth/password/forgot", json={"email": user["email"]})
    (event,) = await api.events("user.password_reset_requested")
    r = await api.client.post(
        "/api/v1/auth/password/reset",
        json={"token": _token(event["reset_url"]), "new_password": NEW_PASSWORD},
    )
    assert r.status_code == 204, r.text
    assert await _exchange(api, token) == 401


async def test_change_password_ends_api_tokens_unless_kept(api: Api) -> None:
    _, pair = await api.signed_in()
    token = await _pat(api, pair)
    r = await api.client.post(
        "/api/v1/auth/password/change",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "keep_api_tokens": True},
        headers=bearer(pair),
    )
    assert r.status_code == 204, r.text
    assert await _exchange(api, token) == 200  # kept, as asked

    r = await api.client.post(
        "/api/v1/auth/password/change",
        json={"current_password": NEW_PASSWORD, "new_password": PASSWORD},
        headers=bearer(pair),
    )
    assert r.status_code == 204, r.text
    assert await _exchange(api, token) == 401  # the default ends them
    r = await api.client.post(
        "/api/v1/auth/password/change",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "keep_api_tokens": 3},
        headers=bearer(pair),
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "keep_api_tokens"]


async def test_change_email_confirmed_by_the_link_sessions_stay(api: Api) -> None:
    user, pair = await api.signed_in()
    url = "/api/v1/users/me/email"
    new = api.email()
    # Wrong password, bad address, the same address: refused, nothing sent.
    r = await api.client.post(
        url,
        json={"new_email": new, "current_password": "Wrong-Password-000"},
        headers=bearer(pair),
    )
    assert r.status_code == 401
    r = await api.client.post(
        url,
        json={"new_email": "not-an-address", "current_password": PASSWORD},
        headers=bearer(pair),
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"][-1] == "new_email"
    r = await api.client.post(
        url, json={"new_email": user["email"], "current_password": PASSWORD}, headers=bearer(pair)
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "new_email"]
    assert await api.events("user.email_change_requested") == []
    # An address of another account: the same 202, and no link goes there.
    other = await api.register()
    r = await api.client.post(
        url, json={"new_email": other["email"], "current_password": PASSWORD}, headers=bearer(pair)
    )
    assert r.status_code == 202
    assert await api.events("user.email_change_requested") == []

    r = await api.client.post(
        url, json={"new_email": new.upper(), "current_password": PASSWORD}, headers=bearer(pair)
    )
    assert r.status_code == 202, r.text
    (ev,) = await api.events("user.email_change_requested")
    assert (ev["email"], ev["old_email"]) == (new, user["email"])
    assert ev["confirm_url"].startswith("https://taskflow.example/confirm-email?token=")
    # Nothing changes until the link is used.
    me = (await api.client.get("/api/v1/users/me", headers=bearer(pair))).json()
    assert me["email"] == user["email"]
    token = _token(ev["confirm_url"])
    r = await api.client.post("/api/v1/auth/email/confirm", json={"token": "x" * 32})
    assert r.status_code == 400
    assert r.json()["code"] == "invalid_or_expired_token"
    r = await api.client.post("/api/v1/auth/email/confirm", json={"token": token})
    assert r.status_code == 200, r.text
    me = (await api.client.get("/api/v1/users/me", headers=bearer(pair))).json()
    assert (me["email"], me["email_verified"]) == (new, True)  # the session stayed
    (updated,) = [e for e in await api.events("user.updated") if "email" in e["changes"]]
    assert updated["changes"]["email"] == {"before": user["email"], "after": new}
    # The link works once; the old address no longer signs in, the new one does.
    r = await api.client.post("/api/v1/auth/email/confirm", json={"token": token})
    assert r.status_code == 400
    assert (await api.login(user["email"])).status_code == 401
    assert (await api.login(new)).status_code == 200
