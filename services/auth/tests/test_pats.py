"""Personal access tokens: created once, listed without the secret, revoked, exchanged."""

from __future__ import annotations

from auth_testkit import Api, bearer
from jose import jwt


async def test_pat_lifecycle(api: Api) -> None:
    user, pair = await api.signed_in()
    r = await api.client.post(
        "/api/v1/auth/tokens",
        json={"name": "ci", "scopes": ["tasks:read", "account:read", "account:write"]},
        headers=bearer(pair),
    )
    assert r.status_code == 201, r.text
    token = r.json()["token"]
    token_id = r.json()["id"]
    assert token.startswith("tfp_")
    listed = (await api.client.get("/api/v1/auth/tokens", headers=bearer(pair))).json()
    assert token not in str(listed)
    assert [t["id"] for t in listed["items"]] == [token_id]

    r = await api.client.post(
        "/api/v1/auth/token", json={"grant_type": "personal_access_token", "token": token}
    )
    assert r.status_code == 200, r.text
    access = r.json()["access_token"]
    claims = jwt.get_unverified_claims(access)
    assert claims["scope"] == "account:read account:write tasks:read"
    assert "sid" not in claims
    assert claims["sub"] == user["id"]
    assert claims["typ"] == "access"
    # A PAT-derived token reads the profile but cannot manage credentials.
    pat_headers = {"Authorization": f"Bearer {access}"}
    assert (await api.client.get("/api/v1/users/me", headers=pat_headers)).status_code == 200
    r = await api.client.post(
        "/api/v1/auth/tokens", json={"name": "x", "scopes": ["tasks:read"]}, headers=pat_headers
    )
    assert r.status_code == 403
    assert r.json()["code"] == "interactive_session_required"

    # Another user cannot revoke it.
    _, other = await api.signed_in()
    r = await api.client.delete(f"/api/v1/auth/tokens/{token_id}", headers=bearer(other))
    assert r.status_code == 404
    r = await api.client.delete(f"/api/v1/auth/tokens/{token_id}", headers=bearer(pair))
    assert r.status_code == 204
    r = await api.client.post(
        "/api/v1/auth/token", json={"grant_type": "personal_access_token", "token": token}
    )
    assert r.status_code == 401
    assert r.json()["code"] == "invalid_grant"


async def test_pat_expiry_must_be_in_range(api: Api) -> None:
    _, pair = await api.signed_in()
    r = await api.client.post(
        "/api/v1/auth/tokens",
        json={"name": "old", "scopes": ["tasks:read"], "expires_at": "2001-01-01T00:00:00Z"},
        headers=bearer(pair),
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "expires_at"]
    r = await api.client.post(
        "/api/v1/auth/tokens", json={"name": "bad", "scopes": ["Not A Scope"]}, headers=bearer(pair)
    )
    assert r.status_code == 422


async def _pat_access(
    api: Api, pair: dict[str, str], scopes: tuple[str, ...] = ("account:read", "account:write")
) -> dict[str, str]:
    """A PAT-derived token that has the scopes the routes ask for, so that what refuses it is
    the missing session."""
    r = await api.client.post(
        "/api/v1/auth/tokens",
        json={"name": "script", "scopes": list(scopes)},
        headers=bearer(pair),
    )
    token = r.json()["token"]
    r = await api.client.post(
        "/api/v1/auth/token", json={"grant_type": "personal_access_token", "token": token}
    )
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def test_a_script_token_cannot_manage_the_account(api: Api) -> None:
    """Every account-security route refuses a PAT-derived token (a leaked script token)."""
    _, pair = await api.signed_in()
    pat = await _pat_access(api, pair)
    calls = [
        ("POST", "/api/v1/auth/password/change", {"current_password": "x", "new_password": "y"}),
        ("GET", "/api/v1/auth/sessions", None),
        ("DELETE", f"/api/v1/auth/sessions/{pair['session_id']}", None),
        ("POST", "/api/v1/auth/sessions/revoke-all", None),
        ("POST", "/api/v1/auth/mfa/totp/setup", None),
        ("POST", "/api/v1/auth/mfa/totp/disable", {"password": "x", "code": "123456"}),
        ("GET", "/api/v1/auth/tokens", None),
        ("DELETE", "/api/v1/users/me", None),
    ]
    for method, path, body in calls:
        r = await api.client.request(method, path, json=body, headers=pat)
        assert r.status_code == 403, (method, path, r.text)
        assert r.json()["code"] == "interactive_session_required", (method, path)
    # The session is untouched and the account still there.
    assert (await api.client.get("/api/v1/users/me", headers=bearer(pair))).status_code == 200


async def test_an_admins_script_token_cannot_change_accounts(api: Api) -> None:
    target = await api.register()
    _, admin = await api.make_admin()
    pat = await _pat_access(api, admin, ("admin", "account:write"))
    r = await api.client.patch(
        f"/api/v1/users/{target['id']}", json={"roles": ["admin", "user"]}, headers=pat
    )
    assert r.status_code == 403
    assert r.json()["code"] == "interactive_session_required"
    r = await api.client.patch(
        f"/api/v1/users/{target['id']}", json={"roles": ["admin", "user"]}, headers=bearer(admin)
    )
    assert r.status_code == 200  # the same admin, signed in
