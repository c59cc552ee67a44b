"""Profiles, look-up by other services, admin listing and changes, deactivation."""

from __future__ import annotations

from auth_testkit import Api, bearer

from taskflow.common.pagination import decode_cursor


async def test_me_patch_with_if_match_and_event(api: Api) -> None:
    _, pair = await api.signed_in()
    r = await api.client.get("/api/v1/users/me", headers=bearer(pair))
    assert r.headers["etag"] == '"1"'
    r = await api.client.patch(
        "/api/v1/users/me",
        json={"display_name": "Ada L.", "timezone": "Europe/Zurich", "locale": "de-CH"},
        headers={**bearer(pair), "If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    assert r.json()["timezone"] == "Europe/Zurich"
    assert r.headers["etag"] == '"2"'
    r = await api.client.patch(
        "/api/v1/users/me", json={"locale": "fr"}, headers={**bearer(pair), "If-Match": '"1"'}
    )
    assert r.status_code == 412
    r = await api.client.patch(
        "/api/v1/users/me", json={"timezone": "Mars/Olympus"}, headers=bearer(pair)
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"][-1] == "timezone"
    changes = (await api.events("user.updated"))[-1]["changes"]
    assert changes["display_name"] == {"before": "Ada", "after": "Ada L."}


async def test_public_profile_and_lookup_by_email(api: Api) -> None:
    """Between co-members (see test_user_privacy for strangers)."""
    import uuid

    from sqlalchemy.ext.asyncio import async_sessionmaker

    from taskflow.auth.memberships.repository import add

    target = await api.register(name="Target")
    me, pair = await api.signed_in()
    project = uuid.uuid4()
    async with async_sessionmaker(api.engine)() as session, session.begin():
        for user in (target, me):
            await add(session, project, uuid.UUID(user["id"]))
    r = await api.client.get(f"/api/v1/users/{target['id']}", headers=bearer(pair))
    assert r.status_code == 200
    assert set(r.json()) == {"id", "email", "display_name", "timezone", "locale", "is_active"}
    assert r.json()["email"] == target["email"]
    r = await api.client.get(
        "/api/v1/users", params={"email": target["email"].upper()}, headers=bearer(pair)
    )
    assert [u["id"] for u in r.json()["items"]] == [target["id"]]
    assert r.json()["items"][0]["roles"] is None  # account fields are for admins
    r = await api.client.get("/api/v1/users", params={"q": "targ"}, headers=bearer(pair))
    assert target["id"] in [u["id"] for u in r.json()["items"]]
    assert (await api.client.get("/api/v1/users/me")).status_code == 401
    r = await api.client.get(
        "/api/v1/users/0190f0c4-0000-7000-8000-000000000000", headers=bearer(pair)
    )
    assert r.status_code == 404


async def test_plain_user_cannot_use_admin_endpoints(api: Api) -> None:
    target = await api.register()
    _, pair = await api.signed_in()
    r = await api.client.get("/api/v1/users", headers=bearer(pair))
    assert r.status_code == 422  # listing everyone is for admins
    r = await api.client.patch(
        f"/api/v1/users/{target['id']}", json={"roles": ["admin"]}, headers=bearer(pair)
    )
    assert r.status_code == 403
    _, auditor = await api.make_admin("auditor")
    r = await api.client.patch(
        f"/api/v1/users/{target['id']}", json={"is_active": False}, headers=bearer(auditor)
    )
    assert r.status_code == 403


async def test_admin_lists_pages_and_changes_roles(api: Api) -> None:
    admin, pair = await api.make_admin()
    for _ in range(3):
        await api.register()
    r = await api.client.get("/api/v1/users", params={"limit": 2}, headers=bearer(pair))
    assert r.status_code == 200
    page1 = r.json()
    assert len(page1["items"]) == 2
    assert page1["items"][0]["roles"] is not None
    last = page1["items"][-1]  # the cursor carries the id as text: clients hold such cursors
    assert decode_cursor(page1["next_cursor"]) == [last["email"], last["id"]]
    r = await api.client.get(
        "/api/v1/users", params={"limit": 2, "cursor": page1["next_cursor"]}, headers=bearer(pair)
    )
    page2 = r.json()
    seen = [u["id"] for u in page1["items"] + page2["items"]]
    assert len(seen) == len(set(seen)) == 4
    target = page2["items"][-1]["id"]
    r = await api.client.patch(
        f"/api/v1/users/{target}", json={"roles": ["user", "auditor"]}, headers=bearer(pair)
    )
    assert r.status_code == 200, r.text
    assert r.json()["roles"] == ["auditor", "user"]
    r = await api.client.patch(
        f"/api/v1/users/{admin['id']}", json={"is_active": False}, headers=bearer(pair)
    )
    assert r.status_code == 409  # not on oneself


async def test_admin_deactivation_ends_sessions_and_login(api: Api) -> None:
    user, victim = await api.signed_in()
    _, pair = await api.make_admin()
    r = await api.client.patch(
        f"/api/v1/users/{user['id']}", json={"is_active": False}, headers=bearer(pair)
    )
    assert r.status_code == 200
    assert r.json()["is_active"] is False
    assert (await api.client.get("/api/v1/users/me", headers=bearer(victim))).status_code == 401
    r = await api.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": victim["refresh_token"]}
    )
    assert r.status_code == 401
    assert (await api.login(user["email"])).status_code == 401
    assert [e["user_id"] for e in await api.events("user.deactivated")] == [user["id"]]


async def test_deactivate_me(api: Api) -> None:
    user, pair = await api.signed_in()
    r = await api.client.delete("/api/v1/users/me", headers=bearer(pair))
    assert r.status_code == 204
    assert (await api.login(user["email"])).status_code == 401


async def test_removing_a_role_ends_the_users_sessions(api: Api) -> None:
    auditor, auditor_pair = await api.make_admin("auditor")
    _, admin = await api.make_admin()
    r = await api.client.patch(
        f"/api/v1/users/{auditor['id']}", json={"roles": ["user"]}, headers=bearer(admin)
    )
    assert r.status_code == 200
    assert r.json()["roles"] == ["user"]
    me = await api.client.get("/api/v1/users/me", headers=bearer(auditor_pair))
    assert me.status_code == 401  # the token still said "auditor": it must not live on
    pair = (await api.login(auditor["email"])).json()
    me = await api.client.get("/api/v1/users/me", headers=bearer(pair))
    assert me.json()["roles"] == ["user"]


async def test_deactivation_ends_api_tokens_and_their_exchange(api: Api) -> None:
    user, pair = await api.signed_in()
    # `account:read`: the scope /users/me needs, so the 401 below is the dead token, not a scope.
    r = await api.client.post(
        "/api/v1/auth/tokens",
        json={"name": "ci", "scopes": ["account:read"]},
        headers=bearer(pair),
    )
    token = r.json()["token"]
    exchange = {"grant_type": "personal_access_token", "token": token}
    access = (await api.client.post("/api/v1/auth/token", json=exchange)).json()["access_token"]
    _, admin = await api.make_admin()
    r = await api.client.patch(
        f"/api/v1/users/{user['id']}", json={"is_active": False}, headers=bearer(admin)
    )
    assert r.status_code == 200
    assert (await api.client.post("/api/v1/auth/token", json=exchange)).status_code == 401
    me = await api.client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {access}"})
    assert me.status_code == 401
    # Reactivated, the account's old tokens stay dead.
    r = await api.client.patch(
        f"/api/v1/users/{user['id']}", json={"is_active": True}, headers=bearer(admin)
    )
    assert r.status_code == 200
    assert (await api.client.post("/api/v1/auth/token", json=exchange)).status_code == 401
