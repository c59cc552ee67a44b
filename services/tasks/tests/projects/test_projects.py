"""Projects and members over HTTP, including the authorization matrix."""

from __future__ import annotations

import uuid
from typing import Any

import pytest


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


async def test_non_member_gets_404_everywhere(client, make_user, make_project):
    ann, eve = await make_user("ann"), await make_user("eve")
    p = await make_project(ann)
    task = await p.task(title="secret")
    pid, tid = p.id, task["id"]
    label = (
        await client.post(f"/api/v1/projects/{pid}/labels", json={"name": "L"}, headers=ann.h)
    ).json()
    ms = (
        await client.post(f"/api/v1/projects/{pid}/milestones", json={"title": "M"}, headers=ann.h)
    ).json()
    com = (
        await client.post(f"/api/v1/tasks/{tid}/comments", json={"body": "c"}, headers=ann.h)
    ).json()
    trashed = await p.task(title="trashed secret")
    await client.delete(f"/api/v1/tasks/{trashed['id']}", headers=ann.h)
    lid, mid, cid, xid = label["id"], ms["id"], com["id"], trashed["id"]
    statuses = (await client.get(f"/api/v1/projects/{pid}/statuses", headers=ann.h)).json()
    status_ids = [x["id"] for x in statuses["items"]]
    sid = status_ids[2]
    blocker = await p.task(title="blocker")
    r = await client.post(
        f"/api/v1/tasks/{tid}/blocked-by", json={"task_id": blocker["id"]}, headers=ann.h
    )
    assert r.status_code == 201
    r = await client.post(
        f"/api/v1/projects/{pid}/members", json={"email": "guest@example.com"}, headers=ann.h
    )
    assert r.status_code == 202
    listed = await client.get(f"/api/v1/projects/{pid}/invitations", headers=ann.h)
    invitation = listed.json()["items"][0]["id"]
    calls = [
        ("POST", f"/api/v1/projects/{pid}/unarchive", None),
        ("POST", f"/api/v1/projects/{pid}/restore", None),
        ("PATCH", f"/api/v1/projects/{pid}/members/{ann.id}", {"role": "viewer"}),
        ("DELETE", f"/api/v1/projects/{pid}/members/{ann.id}", None),
        ("POST", f"/api/v1/projects/{pid}/labels", {"name": "x"}),
        ("PATCH", f"/api/v1/labels/{lid}", {"name": "x"}),
        ("DELETE", f"/api/v1/labels/{lid}", None),
        ("POST", f"/api/v1/projects/{pid}/milestones", {"title": "x"}),
        ("GET", f"/api/v1/milestones/{mid}", None),
        ("PATCH", f"/api/v1/milestones/{mid}", {"title": "x"}),
        ("DELETE", f"/api/v1/milestones/{mid}", None),
        ("PATCH", f"/api/v1/comments/{cid}", {"body": "x"}),
        ("DELETE", f"/api/v1/comments/{cid}", None),
        ("POST", f"/api/v1/tasks/{xid}/restore", None),
        ("GET", f"/api/v1/projects/{pid}/tasks?q=secret", None),
        ("GET", f"/api/v1/projects/{pid}", None),
        ("PATCH", f"/api/v1/projects/{pid}", {"name": "x"}),
        ("DELETE", f"/api/v1/projects/{pid}", None),
        ("POST", f"/api/v1/projects/{pid}/archive", None),
        ("GET", f"/api/v1/projects/{pid}/members", None),
        ("POST", f"/api/v1/projects/{pid}/members", {"user_id": str(eve.id), "role": "owner"}),
        ("GET", f"/api/v1/projects/{pid}/tasks", None),
        ("POST", f"/api/v1/projects/{pid}/tasks", {"title": "x"}),
        ("GET", f"/api/v1/projects/{pid}/trash", None),
        ("GET", f"/api/v1/projects/{pid}/activity", None),
        ("GET", f"/api/v1/projects/{pid}/labels", None),
        ("GET", f"/api/v1/projects/{pid}/milestones", None),
        ("GET", f"/api/v1/projects/{pid}/export", None),
        ("GET", f"/api/v1/tasks/{tid}", None),
        ("PATCH", f"/api/v1/tasks/{tid}", {"title": "x"}),
        ("DELETE", f"/api/v1/tasks/{tid}", None),
        ("GET", f"/api/v1/tasks/{tid}/comments", None),
        ("POST", f"/api/v1/tasks/{tid}/comments", {"body": "hi"}),
        ("GET", f"/api/v1/tasks/{tid}/activity", None),
        # Workflows and dependencies (issue 12).
        ("GET", f"/api/v1/projects/{pid}/statuses", None),
        ("POST", f"/api/v1/projects/{pid}/statuses", {"name": "x", "category": "todo"}),
        ("PATCH", f"/api/v1/projects/{pid}/statuses/{sid}", {"name": "x"}),
        ("PUT", f"/api/v1/projects/{pid}/statuses/order", {"status_ids": status_ids}),
        ("DELETE", f"/api/v1/projects/{pid}/statuses/{sid}?move_to={status_ids[0]}", None),
        ("GET", f"/api/v1/tasks/{tid}/dependencies", None),
        ("POST", f"/api/v1/tasks/{tid}/blocked-by", {"task_id": blocker["id"]}),
        ("DELETE", f"/api/v1/tasks/{tid}/blocked-by/{blocker['id']}", None),
        # Invitations (issue 12, People).
        ("GET", f"/api/v1/projects/{pid}/invitations", None),
        ("DELETE", f"/api/v1/projects/{pid}/invitations/{invitation}", None),
        # Moving and copying (issue 12).
        ("POST", f"/api/v1/tasks/{tid}/move", {"project_id": str(uuid.uuid4())}),
        ("POST", f"/api/v1/tasks/{tid}/duplicate", {}),
        ("GET", f"/api/v1/tasks/by-key/{p.data['key']}-1", None),
    ]
    for method, url, body in calls:
        r = await client.request(method, url, json=body, headers=eve.h)
        assert r.status_code == 404, (method, url, r.status_code, r.text)
    # ... and the same answer as for an id that does not exist.
    r = await client.get(f"/api/v1/projects/{uuid.uuid4()}", headers=eve.h)
    assert r.status_code == 404
    # Listing all my tasks and searching never show it.
    r = await client.get("/api/v1/tasks", params={"q": "secret"}, headers=eve.h)
    assert r.json()["items"] == []
    # ... also once the stranger has projects of her own (the SQL path, not the empty shortcut)
    await make_project(eve)
    for params in ({"q": "secret"}, {}, {"q": "secr"}):
        r = await client.get("/api/v1/tasks", params=params, headers=eve.h)
        assert r.json()["items"] == [], params
    # import needs a CSV body; bulk items of the project fail as if the task did not exist
    r = await client.post(
        f"/api/v1/projects/{pid}/import",
        content=b"title\nx\n",
        headers={**eve.h, "Content-Type": "text/csv"},
    )
    assert r.status_code == 404
    ops = [
        {"op": "update", "task_id": tid, "changes": {"title": "x"}},
        {"op": "move", "task_id": tid, "status": "done"},
        {"op": "delete", "task_id": tid},
        {"op": "restore", "task_id": xid},
    ]
    r = await client.post("/api/v1/tasks/bulk", json={"operations": ops}, headers=eve.h)
    assert r.status_code == 409
    assert [x["code"] for x in r.json()["results"]] == ["task_not_found"] * 4
    # nothing moved
    r = await client.get(f"/api/v1/tasks/{tid}", headers=ann.h)
    assert (r.json()["title"], r.json()["version"]) == ("secret", 1)


ROLE_RULES = [
    # (what, minimum role, method, path template, body)
    ("read project", "viewer", "GET", "/api/v1/projects/{pid}", None),
    ("list members", "viewer", "GET", "/api/v1/projects/{pid}/members", None),
    ("create task", "member", "POST", "/api/v1/projects/{pid}/tasks", {"title": "t"}),
    ("update task", "member", "PATCH", "/api/v1/tasks/{tid}", {"title": "t2"}),
    ("comment", "member", "POST", "/api/v1/tasks/{tid}/comments", {"body": "c"}),
    ("create label", "member", "POST", "/api/v1/projects/{pid}/labels", {"name": "L{n}"}),
    ("update project", "admin", "PATCH", "/api/v1/projects/{pid}", {"name": "n{n}"}),
    ("archive", "admin", "POST", "/api/v1/projects/{pid}/archive", None),
    (
        "add member",
        "admin",
        "POST",
        "/api/v1/projects/{pid}/members",
        {"user_id": "{new}", "role": "member"},
    ),
    ("delete project", "owner", "DELETE", "/api/v1/projects/{pid}", None),
    ("list trash", "viewer", "GET", "/api/v1/projects/{pid}/trash", None),
    ("export", "viewer", "GET", "/api/v1/projects/{pid}/export", None),
    ("read milestone", "viewer", "GET", "/api/v1/milestones/{mid}", None),
    ("delete task", "member", "DELETE", "/api/v1/tasks/{tid}", None),
    ("duplicate task", "member", "POST", "/api/v1/tasks/{tid}/duplicate", {"title": "d{n}"}),
    ("restore task", "member", "POST", "/api/v1/tasks/{xid}/restore", None),
    ("update label", "member", "PATCH", "/api/v1/labels/{lid}", {"name": "R{n}"}),
    ("delete label", "member", "DELETE", "/api/v1/labels/{lid}", None),
    ("create milestone", "member", "POST", "/api/v1/projects/{pid}/milestones", {"title": "m"}),
    ("update milestone", "member", "PATCH", "/api/v1/milestones/{mid}", {"title": "m2"}),
    ("delete milestone", "member", "DELETE", "/api/v1/milestones/{mid}", None),
    ("change role", "admin", "PATCH", "/api/v1/projects/{pid}/members/{uid}", {"role": "viewer"}),
    ("remove member", "admin", "DELETE", "/api/v1/projects/{pid}/members/{uid}", None),
]
ORDER = ["viewer", "member", "admin", "owner"]


@pytest.mark.parametrize(
    ("what", "minimum", "method", "path", "body"), ROLE_RULES, ids=[r[0] for r in ROLE_RULES]
)
async def test_role_matrix(client, make_user, make_project, sql, what, minimum, method, path, body):
    """Every role below the minimum gets 403; the minimum itself is allowed."""
    owner = await make_user()
    p = await make_project(owner)
    for n, role in enumerate(ORDER):
        who = owner if role == "owner" else await make_user()
        if role != "owner":
            await p.add(who, role)
        new = await make_user()
        # fresh objects for every role (only those the rule names), so an allowed delete does
        # not spoil the next role's try
        ids: dict[str, Any] = {"pid": p.id}
        base = f"/api/v1/projects/{p.id}"
        if "{tid}" in path:
            ids["tid"] = (await p.task())["id"]
        if "{xid}" in path:
            ids["xid"] = (await p.task())["id"]
            await client.delete(f"/api/v1/tasks/{ids['xid']}", headers=owner.h)
        if "{lid}" in path:
            r = await client.post(f"{base}/labels", json={"name": f"x{n}"}, headers=owner.h)
            ids["lid"] = r.json()["id"]
        if "{mid}" in path:
            r = await client.post(f"{base}/milestones", json={"title": "m"}, headers=owner.h)
            ids["mid"] = r.json()["id"]
        if "{uid}" in path:
            victim = await make_user()
            await p.add(victim, "member")
            ids["uid"] = victim.id
        url = path.format(**ids)
        payload = None
        if body is not None:
            payload = {
                k: v.format(n=n, new=new.id) if isinstance(v, str) else v for k, v in body.items()
            }
        r = await client.request(method, url, json=payload, headers=who.h)
        allowed = ORDER.index(role) >= ORDER.index(minimum)
        if allowed:
            assert r.status_code < 300, (what, role, r.status_code, r.text)
            if what == "archive":
                await client.post(f"/api/v1/projects/{p.id}/unarchive", headers=owner.h)
        else:
            assert r.status_code == 403, (what, role, r.status_code, r.text)
            assert r.json()["code"] == "role_required"


async def test_viewer_cannot_bulk_or_import(client, make_user, make_project):
    """The two routes whose refusal is not a plain 403: bulk reports per item, import is 403."""
    ann, vic = await make_user(), await make_user()
    p = await make_project(ann)
    await p.add(vic, "viewer")
    t = await p.task(title="keep")
    for op in (
        {"op": "update", "task_id": t["id"], "changes": {"title": "x"}},
        {"op": "move", "task_id": t["id"], "position": 3.0},
        {"op": "delete", "task_id": t["id"]},
    ):
        r = await client.post("/api/v1/tasks/bulk", json={"operations": [op]}, headers=vic.h)
        assert r.status_code == 409, r.text
        assert r.json()["results"][0]["code"] == "role_required"
    r = await client.post(
        f"/api/v1/projects/{p.id}/import",
        content=b"title\nx\n",
        headers={**vic.h, "Content-Type": "text/csv"},
    )
    assert r.status_code == 403
    r = await client.get(f"/api/v1/tasks/{t['id']}", headers=ann.h)
    assert (r.json()["title"], r.json()["version"]) == ("keep", 1)


async def test_system_admin_is_not_a_project_member(client, make_user, make_project):
    ann = await make_user()
    root = await make_user(roles=("admin", "user"))
    p = await make_project(ann)
    assert (await client.get(f"/api/v1/projects/{p.id}", headers=root.h)).status_code == 404


async def test_members_add_by_email_through_auth(client, make_user, make_project, auth_double, sql):
    """A co-member's address (one the caller may see) is added with a 201 and the member."""
    ann, cat = await make_user(), await make_user()
    shared = await make_project(ann)
    await shared.add(cat, "member")
    p = await make_project(ann)
    r = await client.post(
        f"/api/v1/projects/{p.id}/members", json={"email": cat.email}, headers=ann.h
    )
    assert r.status_code == 201, r.text
    assert r.json()["user_id"] == str(cat.id)
    assert r.json()["email"] == cat.email
    # already a member
    r = await client.post(
        f"/api/v1/projects/{p.id}/members", json={"email": cat.email}, headers=ann.h
    )
    assert r.status_code == 409
    # An address the projection has not seen yet is asked of auth (with the caller's token).
    bob_id = uuid.uuid4()
    auth_double.add(bob_id, "Bob@Example.com", "Bob", tz="Europe/Berlin")
    r = await client.post(
        f"/api/v1/projects/{p.id}/members",
        json={"email": "bob@example.com", "role": "member"},
        headers=ann.h,
    )
    assert r.status_code == 202, r.text
    assert "email:bob@example.com" in auth_double.calls
    rows = await sql("SELECT timezone FROM tasks.users WHERE id = :id", id=bob_id)
    assert rows[0][0] == "Europe/Berlin"


async def test_adding_a_strangers_address_says_nothing_about_it(
    client, make_user, make_project, sql
):
    """Played as a stranger: a registered address and an unknown one get the same answer."""
    mallory, dan = await make_user(), await make_user()
    p = await make_project(mallory)
    base = f"/api/v1/projects/{p.id}/members"

    known = await client.post(base, json={"email": dan.email}, headers=mallory.h)
    unknown = await client.post(base, json={"email": "nobody-" + dan.email}, headers=mallory.h)

    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert known.headers["content-type"] == unknown.headers["content-type"]
    assert dan.email not in known.text
    assert str(dan.id) not in known.text
    # Dan was added (and is told by notifications); nobody else was.
    members = await sql(
        "SELECT user_id FROM tasks.project_members WHERE project_id = :p ORDER BY user_id", p=p.id
    )
    assert {r[0] for r in members} == {mallory.id, dan.id}
    # Refusals that do not depend on the address are the same for both too.
    viewer = await make_user()
    await p.add(viewer, "viewer")
    for email in (dan.email, "nobody-" + dan.email):
        r = await client.post(base, json={"email": email, "role": "owner"}, headers=viewer.h)
        assert r.status_code == 403


async def test_auth_down_is_503_not_unknown_user(client, make_user, make_project, auth_double):
    ann = await make_user()
    p = await make_project(ann)
    auth_double.fail = True
    r = await client.post(
        f"/api/v1/projects/{p.id}/members", json={"email": "x@example.com"}, headers=ann.h
    )
    assert r.status_code == 503
    assert r.json()["code"] == "upstream_unavailable"


async def test_last_owner_cannot_leave_or_be_demoted(client, make_user, make_project):
    ann, bob = await make_user(), await make_user()
    p = await make_project(ann)
    await p.add(bob, "admin")
    base = f"/api/v1/projects/{p.id}/members"
    r = await client.delete(f"{base}/{ann.id}", headers=ann.h)
    assert r.status_code == 409
    assert r.json()["code"] == "last_owner"
    r = await client.patch(f"{base}/{ann.id}", json={"role": "admin"}, headers=ann.h)
    assert r.status_code == 409
    # an admin cannot remove or demote an owner, nor make owners
    assert (await client.delete(f"{base}/{ann.id}", headers=bob.h)).status_code == 403
    assert (
        await client.patch(f"{base}/{bob.id}", json={"role": "owner"}, headers=bob.h)
    ).status_code == 403
    # with a second owner the first may leave
    assert (
        await client.patch(f"{base}/{bob.id}", json={"role": "owner"}, headers=ann.h)
    ).status_code == 200
    assert (await client.delete(f"{base}/{ann.id}", headers=ann.h)).status_code == 204
    assert (await client.get(f"/api/v1/projects/{p.id}", headers=ann.h)).status_code == 404


async def test_member_can_leave_but_not_remove_others(client, make_user, make_project, outbox):
    ann, bob, cat = await make_user(), await make_user(), await make_user()
    p = await make_project(ann)
    await p.add(bob, "member")
    await p.add(cat, "member")
    base = f"/api/v1/projects/{p.id}/members"
    assert (await client.delete(f"{base}/{cat.id}", headers=bob.h)).status_code == 403
    assert (await client.delete(f"{base}/{bob.id}", headers=bob.h)).status_code == 204
    assert [t for t, _ in await outbox("project.member_removed")] == ["project.member_removed"]


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


async def test_removing_a_member_unassigns_them_everywhere(
    client, make_user, make_project, outbox, sql
):
    ann, bob, cat = await make_user(), await make_user(), await make_user()
    p = await make_project(ann)
    await p.add(bob, "member")
    await p.add(cat, "member")
    both = [str(bob.id), str(cat.id)]
    t1 = await p.task(assignee_ids=both, watcher_ids=[str(bob.id)])
    t2 = await p.task(watcher_ids=both)
    t3 = await p.task(assignee_ids=[str(bob.id)])
    await client.delete(f"/api/v1/tasks/{t3['id']}", headers=ann.h)  # trashed tasks too
    untouched = await p.task(assignee_ids=[str(cat.id)])
    r = await client.delete(f"/api/v1/projects/{p.id}/members/{bob.id}", headers=ann.h)
    assert r.status_code == 204
    for t, assignees, watchers in ((t1, [str(cat.id)], []), (t2, [], [str(cat.id)])):
        got = (await client.get(f"/api/v1/tasks/{t['id']}", headers=ann.h)).json()
        assert (got["assignee_ids"], got["watcher_ids"]) == (assignees, watchers)
        assert got["version"] == 2
    rows = await sql(
        "SELECT assignee_ids, version FROM tasks.tasks WHERE id = :i", i=uuid.UUID(t3["id"])
    )
    assert rows[0] == ([], 3)
    got = (await client.get(f"/api/v1/tasks/{untouched['id']}", headers=ann.h)).json()
    assert got["version"] == 1
    unassigned = [d["task"]["task_id"] for _, d in await outbox("task.unassigned")]
    assert sorted(unassigned) == sorted([t1["id"], t3["id"]])
    assert all(d["assignee_id"] == str(bob.id) for _, d in await outbox("task.unassigned"))
    updated = [d for _, d in await outbox("task.updated")]
    assert {d["task"]["task_id"] for d in updated} == {t1["id"], t2["id"], t3["id"]}
    r = await client.get(f"/api/v1/tasks/{t1['id']}/activity", headers=ann.h)
    assert r.json()["items"][0]["changes"]["assignee_ids"]["before"] == both
    # a refused removal (the last owner) changes no task
    mine = await p.task(assignee_ids=[str(ann.id)])
    r = await client.delete(f"/api/v1/projects/{p.id}/members/{ann.id}", headers=ann.h)
    assert r.status_code == 409
    got = (await client.get(f"/api/v1/tasks/{mine['id']}", headers=ann.h)).json()
    assert (got["assignee_ids"], got["version"]) == ([str(ann.id)], 1)
