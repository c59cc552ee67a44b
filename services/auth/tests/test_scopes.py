"""Scopes in auth: every route declared (matrix), what sessions and PATs carry, admin powers."""

from __future__ import annotations

import uuid
from typing import Any

from auth_testkit import Api, bearer
from jose import jwt
from sqlalchemy import text

from taskflow.common.scopes import Scope, scopes_for_roles
from taskflow.testing.scopes import ALL_ROLES, PROBES, PUBLIC, check_scope_matrix

AR, AW = {"account:read"}, {"account:write"}

#: Who may call what, by scope. A new route fails the matrix until it is declared and listed.
POLICY: dict[tuple[str, str], Any] = {
    **PROBES,
    ("POST", "/api/v1/auth/register"): PUBLIC,
    ("POST", "/api/v1/auth/verify-email"): PUBLIC,
    ("POST", "/api/v1/auth/verify-email/resend"): AW,
    ("POST", "/api/v1/auth/email/confirm"): PUBLIC,
    ("POST", "/api/v1/auth/password/forgot"): PUBLIC,
    ("POST", "/api/v1/auth/password/reset"): PUBLIC,
    ("POST", "/api/v1/auth/password/change"): AW,
    ("POST", "/api/v1/auth/login"): PUBLIC,
    ("POST", "/api/v1/auth/login/mfa"): PUBLIC,
    ("POST", "/api/v1/auth/refresh"): PUBLIC,
    ("POST", "/api/v1/auth/logout"): AW,
    ("GET", "/api/v1/auth/sessions"): AR,
    ("DELETE", "/api/v1/auth/sessions/{session_id}"): AW,
    ("POST", "/api/v1/auth/sessions/revoke-all"): AW,
    ("POST", "/api/v1/auth/mfa/totp/setup"): AW,
    ("POST", "/api/v1/auth/mfa/totp/confirm"): AW,
    ("POST", "/api/v1/auth/mfa/totp/disable"): AW,
    ("POST", "/api/v1/auth/tokens"): AW,
    ("GET", "/api/v1/auth/tokens"): AR,
    ("DELETE", "/api/v1/auth/tokens/{token_id}"): AW,
    ("POST", "/api/v1/auth/token"): PUBLIC,
    ("GET", "/api/v1/users/me"): AR,
    ("PATCH", "/api/v1/users/me"): AW,
    ("POST", "/api/v1/users/me/email"): AW,
    ("DELETE", "/api/v1/users/me"): AW,
    ("GET", "/api/v1/users"): AR,
    ("GET", "/api/v1/users/{user_id}"): AR,
    ("PATCH", "/api/v1/users/{user_id}"): {"admin"},
    ("GET", "/api/v1/auth/.well-known/jwks.json"): PUBLIC,
}


async def test_every_route_declares_its_scope_and_the_matrix_holds(app: Any, api: Api) -> None:
    user = await api.register()

    async def token_for(scopes: frozenset[str]) -> str:
        # Minted by auth's own key, without a session: nothing the matrix calls can end one.
        minted = await app.state.ctx.minter.mint(
            user_id=uuid.UUID(user["id"]),
            roles=ALL_ROLES,
            scope=" ".join(sorted(scopes)),
            session_id=None,
        )
        return str(minted.token)

    calls = await check_scope_matrix(api.client, app, POLICY, token_for)
    assert calls >= 11 * 18


def _scopes(pair: dict[str, Any]) -> set[str]:
    return set(jwt.get_unverified_claims(pair["access_token"])["scope"].split())


async def test_a_session_carries_every_scope_its_roles_allow(api: Api) -> None:
    _, user = await api.signed_in()
    _, auditor = await api.make_admin("auditor")
    _, admin = await api.make_admin("admin")
    assert _scopes(user) == set(scopes_for_roles(["user"]))
    assert _scopes(auditor) == set(scopes_for_roles(["user", "auditor"]))
    assert _scopes(admin) == {s.value for s in Scope}
    assert "*" not in _scopes(admin)


async def _make_pat(api: Api, pair: dict[str, Any], scopes: list[str]) -> Any:
    return await api.client.post(
        "/api/v1/auth/tokens", json={"name": "script", "scopes": scopes}, headers=bearer(pair)
    )


async def _exchange(api: Api, token: str) -> dict[str, Any]:
    r = await api.client.post(
        "/api/v1/auth/token", json={"grant_type": "personal_access_token", "token": token}
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_unknown_scopes_are_refused_when_a_token_is_made(api: Api) -> None:
    _, pair = await api.signed_in()
    r = await _make_pat(api, pair, ["tasks:read", "tasks:delete_everything"])
    assert r.status_code == 422
    body = r.json()
    [error] = body["errors"]
    assert error["loc"] == ["body", "scopes", 1]
    assert "tasks:delete_everything" in error["msg"]
    r = await _make_pat(api, pair, ["*"])
    assert r.status_code == 422
    assert "'*'" in r.json()["errors"][0]["msg"]
    # A user cannot make a token with a power its roles do not give.
    r = await _make_pat(api, pair, ["tasks:read", "admin"])
    assert r.status_code == 422
    assert r.json()["code"] == "scope_not_allowed"
    assert r.json()["errors"][0]["loc"] == ["body", "scopes", 1]
    assert "'admin'" in r.json()["detail"]
    assert "'admin'" in r.json()["errors"][0]["msg"]
    # Nothing was made.
    listed = await api.client.get("/api/v1/auth/tokens", headers=bearer(pair))
    assert listed.json()["items"] == []


async def test_an_admins_read_only_pat_carries_only_its_scopes(api: Api) -> None:
    """The admin's `tasks:read` PAT exchanges for a `tasks:read` token that is no admin."""
    target = await api.register()
    _, admin = await api.make_admin("admin")
    r = await _make_pat(api, admin, ["tasks:read"])
    assert r.status_code == 201, r.text
    exchanged = await _exchange(api, r.json()["token"])
    assert exchanged["scope"] == "tasks:read"
    claims = jwt.get_unverified_claims(exchanged["access_token"])
    assert claims["scope"] == "tasks:read"
    assert "admin" in claims["roles"]  # the role is there; the scope is what binds it
    weak = bearer(exchanged)
    for method, path, body in [
        ("GET", "/api/v1/users/me", None),
        ("GET", "/api/v1/users", None),
        ("PATCH", f"/api/v1/users/{target['id']}", {"roles": ["admin", "user"]}),
    ]:
        r = await api.client.request(method, path, json=body, headers=weak)
        assert r.status_code == 403, (method, path, r.text)
        assert r.json()["code"] == "insufficient_scope", (method, path)
    # `account:read` lets the admin's script look people up, but not as an admin.
    r = await _make_pat(api, admin, ["account:read"])
    reader = bearer(await _exchange(api, r.json()["token"]))
    r = await api.client.get("/api/v1/users", headers=reader)
    assert r.status_code == 422
    assert r.json()["code"] == "filter_required"
    r = await api.client.get("/api/v1/users", params={"email": target["email"]}, headers=reader)
    assert r.status_code == 200
    # Not an admin: a stranger's address answers like one without an account (no harvesting).
    assert r.json()["items"] == []
    # The target's roles did not change.
    async with api.engine.connect() as conn:
        roles = await conn.scalar(
            text("SELECT roles FROM auth.users WHERE id = :id"), {"id": target["id"]}
        )
    assert roles == ["user"]
    # The same admin, signed in, lists everyone with the account fields.
    r = await api.client.get("/api/v1/users", headers=bearer(admin))
    assert r.status_code == 200
    assert all(item["roles"] for item in r.json()["items"])


async def test_a_pat_loses_the_scopes_its_owner_loses(api: Api) -> None:
    admin_user, admin = await api.make_admin("admin")
    r = await _make_pat(api, admin, ["admin", "tasks:read"])
    assert r.status_code == 201, r.text
    token = r.json()["token"]
    assert (await _exchange(api, token))["scope"] == "admin tasks:read"
    async with api.engine.begin() as conn:
        await conn.execute(
            text("UPDATE auth.users SET roles = ARRAY['user']::varchar[] WHERE id = :id"),
            {"id": admin_user["id"]},
        )
    assert (await _exchange(api, token))["scope"] == "tasks:read"
