"""Who may do what in a project: the authorization matrix, non-members, viewers, system admins."""

from __future__ import annotations

import uuid
from typing import Any

import pytest


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
