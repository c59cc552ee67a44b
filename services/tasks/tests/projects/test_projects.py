"""Projects over HTTP: create, change, archive, trash and restore, list."""

from __future__ import annotations

from typing import Any


async def test_create_project_makes_owner_and_events(client, make_user, outbox):
    ann = await make_user("ann")
    r = await client.post(
        "/api/v1/projects", json={"key": "OPS", "name": "Operations"}, headers=ann.h
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["role"] == "owner"
    assert body["key"] == "OPS"
    assert body["progress"] == 0
    assert r.headers["ETag"] == '"1"'
    types = [t for t, _ in await outbox()]
    assert types == ["project.created", "project.member_added"]
    r = await client.get("/api/v1/projects", headers=ann.h)
    assert [p["key"] for p in r.json()["items"]] == ["OPS"]


async def test_duplicate_key_and_bad_key(client, make_user):
    ann = await make_user()
    assert (
        await client.post("/api/v1/projects", json={"key": "OPS", "name": "a"}, headers=ann.h)
    ).status_code == 201
    r = await client.post("/api/v1/projects", json={"key": "OPS", "name": "b"}, headers=ann.h)
    assert r.status_code == 409
    assert r.json()["code"] == "duplicate_key"
    r = await client.post("/api/v1/projects", json={"key": "ops!", "name": "b"}, headers=ann.h)
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"][-1] == "key"


async def test_no_token_is_401(client):
    r = await client.get("/api/v1/projects")
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_update_with_if_match_and_activity(client, make_user, make_project, outbox):
    ann = await make_user()
    p = await make_project(ann)
    url = f"/api/v1/projects/{p.id}"
    r = await client.patch(url, json={"status": "active"}, headers={**ann.h, "If-Match": '"1"'})
    assert r.status_code == 200
    assert r.json()["version"] == 2
    r = await client.patch(url, json={"health": "at_risk"}, headers={**ann.h, "If-Match": '"1"'})
    assert r.status_code == 412
    assert r.json()["code"] == "precondition_failed"
    r = await client.patch(
        url, json={"start_date": "2026-05-01", "target_date": "2026-04-01"}, headers=ann.h
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "target_date"]
    _, data = (await outbox("project.updated"))[0]
    assert data["changes"]["status"] == {"before": "planning", "after": "active"}
    r = await client.get(f"{url}/activity", headers=ann.h)
    assert r.json()["items"][0]["action"] == "project.updated"


async def test_archive_makes_read_only_and_delete_restore(client, make_user, make_project):
    ann = await make_user()
    p = await make_project(ann)
    url = f"/api/v1/projects/{p.id}"
    assert (await client.post(f"{url}/archive", headers=ann.h)).status_code == 200
    r = await client.post(f"{url}/tasks", json={"title": "x"}, headers=ann.h)
    assert r.status_code == 409
    assert r.json()["code"] == "project_archived"
    assert (await client.post(f"{url}/unarchive", headers=ann.h)).status_code == 200
    assert (await client.delete(url, headers=ann.h)).status_code == 204
    assert (await client.get(url, headers=ann.h)).status_code == 404
    r = await client.post(f"{url}/restore", headers=ann.h)
    assert r.status_code == 200
    assert r.json()["deleted_at"] is None


async def test_trashed_projects_are_listed_to_their_owners_only(client, make_user, make_project):
    """`?trashed=true` lists the caller's deleted projects (owners restore them); a member
    who is not an owner, and a non-member, see none of them, and live lists leave them out."""
    ann, bob, eve = await make_user(), await make_user(), await make_user()
    gone = await make_project(ann, name="Gone")
    kept = await make_project(ann, name="Kept")
    shelved = await make_project(ann, name="Shelved")
    await gone.add(bob, "admin")
    await kept.add(bob, "member")
    assert (await client.delete(f"/api/v1/projects/{gone.id}", headers=ann.h)).status_code == 204
    # An archived project in the trash is in the trash too.
    assert (await client.post(f"/api/v1/projects/{shelved.id}/archive", headers=ann.h)).is_success
    assert (await client.delete(f"/api/v1/projects/{shelved.id}", headers=ann.h)).is_success

    def names(r: Any) -> list[str]:
        assert r.status_code == 200, r.text
        return [p["name"] for p in r.json()["items"]]

    trashed = await client.get("/api/v1/projects", params={"trashed": "true"}, headers=ann.h)
    assert names(trashed) == ["Gone", "Shelved"]
    assert trashed.json()["items"][0]["deleted_at"] is not None
    assert trashed.json()["items"][0]["role"] == "owner"
    assert names(await client.get("/api/v1/projects", headers=ann.h)) == ["Kept"]
    for other in (bob, eve):
        r = await client.get("/api/v1/projects", params={"trashed": "true"}, headers=other.h)
        assert names(r) == []
    assert names(await client.get("/api/v1/projects", headers=bob.h)) == ["Kept"]
    # Restored, it leaves the trash and is live again.
    assert (await client.post(f"/api/v1/projects/{gone.id}/restore", headers=ann.h)).is_success
    r = await client.get("/api/v1/projects", params={"trashed": "true"}, headers=ann.h)
    assert names(r) == ["Shelved"]
    r = await client.get("/api/v1/projects", params={"trashed": "maybe"}, headers=ann.h)
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"][-1] == "trashed"


async def test_project_list_filters_sorts_and_paginates(client, make_user, make_project):
    ann = await make_user()
    for i, status in enumerate(["active", "planning", "active"]):
        await make_project(ann, key=f"K{i}X", name=f"n{i}", status=status)
    r = await client.get(
        "/api/v1/projects", params={"status": "active", "sort": "-name"}, headers=ann.h
    )
    assert [p["name"] for p in r.json()["items"]] == ["n2", "n0"]
    r = await client.get("/api/v1/projects", params={"limit": 2}, headers=ann.h)
    assert len(r.json()["items"]) == 2
    assert r.json()["next_cursor"]
    r2 = await client.get(
        "/api/v1/projects", params={"limit": 2, "cursor": r.json()["next_cursor"]}, headers=ann.h
    )
    assert [p["name"] for p in r2.json()["items"]] == ["n2"]
    assert r2.json()["next_cursor"] is None
