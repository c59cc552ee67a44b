"""The in-app API: lists, pages, read, read-all, counts (cached), delete; isolation per user."""

from __future__ import annotations

from typing import Any

from notifications_testkit import created, snapshot, uid

from taskflow.notifications.notifications.unread import UnreadCounter


async def _seed(apply: Any, user_id: Any, count: int) -> None:
    actor, proj = uid(), uid()
    for _ in range(count):
        await apply(created(snapshot(uid(), proj, creator=actor, assignees=[user_id])), actor=actor)


async def test_list_pages_read_and_counts(client: Any, apply: Any, auth: Any) -> None:
    alice = uid()
    await _seed(apply, alice, 5)
    h = auth(alice)

    r = await client.get("/api/v1/notifications", params={"limit": 2}, headers=h)
    assert r.status_code == 200
    first = r.json()
    assert len(first["items"]) == 2
    assert first["next_cursor"]
    seen = [i["id"] for i in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        r = await client.get(
            "/api/v1/notifications", params={"limit": 2, "cursor": cursor}, headers=h
        )
        seen += [i["id"] for i in r.json()["items"]]
        cursor = r.json()["next_cursor"]
    assert len(seen) == 5
    assert len(set(seen)) == 5

    assert (await client.get("/api/v1/notifications/unread-count", headers=h)).json() == {
        "count": 5
    }
    r = await client.post(f"/api/v1/notifications/{seen[0]}/read", headers=h)
    assert r.status_code == 200
    assert r.json()["read_at"] is not None
    # The cached count was invalidated by the read.
    assert (await client.get("/api/v1/notifications/unread-count", headers=h)).json() == {
        "count": 4
    }
    unread = await client.get("/api/v1/notifications", params={"unread": "true"}, headers=h)
    assert seen[0] not in [i["id"] for i in unread.json()["items"]]
    assert len(unread.json()["items"]) == 4

    r = await client.post("/api/v1/notifications/read-all", headers=h)
    assert r.json() == {"updated": 4}
    assert (await client.get("/api/v1/notifications/unread-count", headers=h)).json() == {
        "count": 0
    }

    r = await client.delete(f"/api/v1/notifications/{seen[1]}", headers=h)
    assert r.status_code == 204
    r = await client.get("/api/v1/notifications", headers=h)
    assert len(r.json()["items"]) == 4


async def test_new_notification_invalidates_cached_count(
    client: Any, apply: Any, auth: Any
) -> None:
    alice = uid()
    h = auth(alice)
    assert (await client.get("/api/v1/notifications/unread-count", headers=h)).json()["count"] == 0
    await _seed(apply, alice, 1)
    assert (await client.get("/api/v1/notifications/unread-count", headers=h)).json()["count"] == 1


async def test_stale_count_is_not_cached_after_invalidation(ctx: Any, aredis: Any) -> None:
    """A count taken before a concurrent change must not be stored after its invalidation."""
    counter = UnreadCounter(aredis, ctx.settings.redis_prefix, 60)
    user = uid()

    async def slow_count() -> int:
        await counter.invalidate(user)  # a writer commits and invalidates meanwhile
        return 7

    assert await counter.get(user, slow_count) == 7

    async def fresh() -> int:
        return 8

    assert await counter.get(user, fresh) == 8


async def test_users_never_see_each_others_notifications(
    client: Any, apply: Any, auth: Any
) -> None:
    alice, mallory = uid(), uid()
    await _seed(apply, alice, 1)
    ha, hm = auth(alice), auth(mallory)
    note = (await client.get("/api/v1/notifications", headers=ha)).json()["items"][0]

    assert (await client.get("/api/v1/notifications", headers=hm)).json()["items"] == []
    r = await client.post(f"/api/v1/notifications/{note['id']}/read", headers=hm)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert (
        await client.delete(f"/api/v1/notifications/{note['id']}", headers=hm)
    ).status_code == 404
    assert (await client.post("/api/v1/notifications/read-all", headers=hm)).json() == {
        "updated": 0
    }
    still = (await client.get("/api/v1/notifications", headers=ha)).json()["items"][0]
    assert still["read_at"] is None


async def test_requires_a_token(client: Any) -> None:
    r = await client.get("/api/v1/notifications")
    assert r.status_code == 401
    r = await client.get("/api/v1/notifications", params={"cursor": "garbage!"}, headers={})
    assert r.status_code == 401


async def test_forged_cursor_is_rejected(client: Any, auth: Any) -> None:
    r = await client.get("/api/v1/notifications", params={"cursor": "bm9wZQ"}, headers=auth(uid()))
    assert r.status_code == 422


async def test_preferences_defaults_and_update(client: Any, auth: Any) -> None:
    h = auth(uid())
    r = await client.get("/api/v1/notifications/preferences", headers=h)
    assert r.status_code == 200
    body = r.json()
    assert body["kinds"]["task_assigned"] == {"in_app": True, "email": True, "calendar": False}
    assert body["digest"] == "off"
    r = await client.put(
        "/api/v1/notifications/preferences",
        json={"kinds": {"task_due": {"calendar": True}}, "digest": "daily", "digest_hour": 7},
        headers=h,
    )
    assert r.status_code == 200, r.text
    assert r.json()["kinds"]["task_due"]["calendar"] is True
    assert r.json()["kinds"]["task_assigned"]["email"] is True
    assert r.json()["digest_hour"] == 7
    bad = await client.put(
        "/api/v1/notifications/preferences", json={"kinds": {"nope": {}}}, headers=h
    )
    assert bad.status_code == 422


async def test_deliveries_are_for_admins_only(client: Any, apply: Any, auth: Any) -> None:
    alice = uid()
    from notifications_testkit import user

    await apply(user(alice))
    await _seed(apply, alice, 1)
    r = await client.get("/api/v1/notifications/deliveries", headers=auth(alice))
    assert r.status_code == 403
    admin = auth(uid(), roles=("admin",))
    r = await client.get(
        "/api/v1/notifications/deliveries", params={"status": "pending"}, headers=admin
    )
    assert r.status_code == 200
    items = r.json()["items"]
    assert len(items) == 1
    assert "payload" not in items[0]
    assert "recipient" not in items[0]
    r = await client.post(
        f"/api/v1/notifications/deliveries/{items[0]['id']}/retry", headers=auth(alice)
    )
    assert r.status_code == 403
    r = await client.post(f"/api/v1/notifications/deliveries/{uid()}/retry", headers=admin)
    assert r.status_code == 404


async def test_unread_count_falls_back_to_the_database_when_redis_is_down(
    ctx: Any, fault_proxy: Any
) -> None:
    from redis.asyncio import Redis

    proxy = await fault_proxy("127.0.0.1", 6379)
    await proxy.drop()
    dead = Redis.from_url(f"redis://127.0.0.1:{proxy.port}/0", socket_connect_timeout=0.5)
    counter = UnreadCounter(dead, ctx.settings.redis_prefix, 60)
    calls = 0

    async def count() -> int:
        nonlocal calls
        calls += 1
        return 3

    assert await counter.get(uid(), count) == 3
    await counter.invalidate(uid())  # logged, not raised
    assert calls == 1
    await dead.aclose()
