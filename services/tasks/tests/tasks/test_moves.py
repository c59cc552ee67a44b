"""Moving a task to another project, the redirect of its old key, and duplicating a task."""

from __future__ import annotations

from typing import Any


async def _label(client: Any, p: Any, name: str) -> str:
    r = await client.post(
        f"/api/v1/projects/{p.id}/labels",
        json={"name": name, "colour": "#ff0000"},
        headers=p.owner.h,
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _milestone(client: Any, p: Any, title: str) -> str:
    r = await client.post(
        f"/api/v1/projects/{p.id}/milestones", json={"title": title}, headers=p.owner.h
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _status(client: Any, p: Any, name: str) -> dict[str, Any]:
    r = await client.get(f"/api/v1/projects/{p.id}/statuses", headers=p.owner.h)
    return next(s for s in r.json()["items"] if s["name"] == name)


async def test_move_maps_fields_renumbers_and_carries_subtasks_comments_activity(
    client, make_user, make_project, outbox, sql
):
    ann, bob, cat = await make_user("ann"), await make_user("bob"), await make_user("cat")
    src = await make_project(ann, key="OPS")
    dst = await make_project(ann, key="SEC")
    await src.add(bob, "member")
    await src.add(cat, "member")
    await dst.add(bob, "member")  # cat is not a member of SEC
    await dst.task(title="already there")  # SEC-1, so the moved task is SEC-2
    urgent_src, misc_src = await _label(client, src, "Urgent"), await _label(client, src, "misc")
    urgent_dst = await _label(client, dst, "urgent")
    q1_src, q2_src = await _milestone(client, src, "Q1"), await _milestone(client, src, "Q2")
    q1_dst = await _milestone(client, dst, "q1")
    await src.task(title="filler")  # OPS-1
    task = await src.task(
        title="Rotate certs",
        status="in_progress",
        label_ids=[urgent_src, misc_src],
        milestone_id=q1_src,
        assignee_ids=[str(bob.id), str(cat.id)],
        watcher_ids=[str(cat.id)],
    )  # OPS-2
    sub = await src.task(title="sub", parent_id=task["id"], milestone_id=q2_src, status="done")
    r = await client.post(
        f"/api/v1/tasks/{task['id']}/comments", json={"body": "on it"}, headers=bob.h
    )
    assert r.status_code == 201, r.text

    r = await client.post(
        f"/api/v1/tasks/{task['id']}/move", json={"project_id": dst.id}, headers=bob.h
    )
    assert r.status_code == 200, r.text
    body = r.json()
    moved = body["task"]
    assert moved["id"] == task["id"]
    assert moved["project_id"] == dst.id
    assert moved["key"] == "SEC-2"
    assert moved["status"] == "in_progress"  # the first of the same category in SEC
    assert moved["label_ids"] == [urgent_dst]  # mapped by name regardless of case
    assert moved["milestone_id"] == q1_dst
    assert moved["assignee_ids"] == [str(bob.id)]
    assert moved["watcher_ids"] == []
    assert r.headers["ETag"] == f'"{moved["version"]}"'
    first, second = body["moved"]
    assert (first["from_key"], first["to_key"]) == ("OPS-2", "SEC-2")
    assert [d["name"] for d in first["dropped_labels"]] == ["misc"]
    assert first["dropped_milestone"] is None
    assert first["removed_assignee_ids"] == [str(cat.id)]
    assert first["removed_watcher_ids"] == [str(cat.id)]
    assert (second["task_id"], second["from_key"], second["to_key"]) == (
        sub["id"],
        "OPS-3",
        "SEC-3",
    )
    assert second["dropped_milestone"]["title"] == "Q2"
    assert second["status"] == "done"

    # The subtask came along, still under its parent; its completion stays.
    r = await client.get(f"/api/v1/tasks/{sub['id']}", headers=bob.h)
    assert r.json()["project_id"] == dst.id
    assert r.json()["parent_id"] == task["id"]
    assert r.json()["milestone_id"] is None
    assert r.json()["completed_at"] == sub["completed_at"]
    # Comments and activity followed; the activity tells of the move.
    r = await client.get(f"/api/v1/tasks/{task['id']}/comments", headers=bob.h)
    assert [c["body"] for c in r.json()["items"]] == ["on it"]
    rows = await sql(
        "SELECT DISTINCT project_id FROM tasks.comments WHERE task_id = :t", t=task["id"]
    )
    assert [str(x[0]) for x in rows] == [dst.id]
    rows = await sql(
        "SELECT count(*) FROM tasks.activity WHERE task_id = :t AND project_id <> :p",
        t=task["id"],
        p=dst.id,
    )
    assert rows[0][0] == 0
    r = await client.get(f"/api/v1/tasks/{task['id']}/activity", headers=bob.h)
    moves = [a for a in r.json()["items"] if a["action"] == "task.moved"]
    assert [m["changes"]["key"] for m in moves] == [{"before": "OPS-2", "after": "SEC-2"}]
    # The project counters followed (done and total).
    s = (await client.get(f"/api/v1/projects/{src.id}", headers=ann.h)).json()
    d = (await client.get(f"/api/v1/projects/{dst.id}", headers=ann.h)).json()
    assert (s["tasks_total"], s["tasks_done"]) == (1, 0)
    assert (d["tasks_total"], d["tasks_done"]) == (3, 1)
    # Listed in the target, gone from the source; found by search in the target.
    r = await client.get(f"/api/v1/projects/{src.id}/tasks", headers=ann.h)
    assert [t["key"] for t in r.json()["items"]] == ["OPS-1"]
    r = await client.get(f"/api/v1/projects/{dst.id}/tasks?q=rotate", headers=ann.h)
    assert [t["key"] for t in r.json()["items"]] == ["SEC-2"]
    # Events: one task.moved per task, and the removed assignee is told.
    events = await outbox("task.moved")
    assert [e["task"]["key"] for _, e in events] == ["SEC-2", "SEC-3"]
    ev = events[0][1]
    assert (ev["from_project_id"], ev["to_project_id"], ev["from_key"]) == (
        src.id,
        dst.id,
        "OPS-2",
    )
    assert ev["dropped_label_ids"] == [misc_src]
    assert ev["removed_assignee_ids"] == [str(cat.id)]
    unassigned = [e for _, e in await outbox("task.unassigned")]
    assert [e["assignee_id"] for e in unassigned] == [str(cat.id)]


async def test_old_key_redirects_to_the_new_one_and_only_for_who_may_see_it(
    client, make_user, make_project
):
    ann, bob, eve = await make_user(), await make_user(), await make_user()
    src = await make_project(ann, key="OLD")
    dst = await make_project(ann, key="NEW")
    third = await make_project(ann, key="THIRD")
    await src.add(bob, "viewer")  # may see the source, not the target
    task = await src.task(title="t")
    r = await client.get("/api/v1/tasks/by-key/OLD-1", headers=ann.h)
    assert (r.status_code, r.json()["id"]) == (200, task["id"])
    assert r.headers["ETag"] == '"1"'
    r = await client.post(
        f"/api/v1/tasks/{task['id']}/move", json={"project_id": dst.id}, headers=ann.h
    )
    assert r.status_code == 200, r.text
    r = await client.get("/api/v1/tasks/by-key/old-1", headers=ann.h)
    assert r.status_code == 308
    assert r.headers["Location"] == "/api/v1/tasks/by-key/NEW-1"
    r = await client.get(r.headers["Location"], headers=ann.h)
    assert (r.status_code, r.json()["id"]) == (200, task["id"])
    # Moved on again: the first key still answers, straight to the latest.
    r = await client.post(
        f"/api/v1/tasks/{task['id']}/move", json={"project_id": third.id}, headers=ann.h
    )
    assert r.status_code == 200, r.text
    for old in ("OLD-1", "NEW-1"):
        r = await client.get(f"/api/v1/tasks/by-key/{old}", headers=ann.h)
        assert (r.status_code, r.headers["Location"]) == (308, "/api/v1/tasks/by-key/THIRD-1")
    # Who cannot see the task where it is now learns nothing, not even that it moved.
    for who in (bob, eve):
        r = await client.get("/api/v1/tasks/by-key/OLD-1", headers=who.h)
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "Location" not in r.headers
    for missing in ("OLD-99", "NOPE-1"):
        r = await client.get(f"/api/v1/tasks/by-key/{missing}", headers=ann.h)
        assert r.status_code == 404
    r = await client.get("/api/v1/tasks/by-key/not a key", headers=ann.h)
    assert r.status_code == 422


async def test_move_needs_write_access_in_both_projects(
    client, make_user, make_project, outbox, sql
):
    ann, bob, eve = await make_user(), await make_user(), await make_user()
    src = await make_project(ann, key="SRC")
    dst = await make_project(ann, key="DST")
    task = await src.task(title="t")
    url = f"/api/v1/tasks/{task['id']}/move"
    before = await sql("SELECT project_id, number, version FROM tasks.tasks")
    # A stranger to the source: 404, as for every task they cannot see.
    r = await client.post(url, json={"project_id": dst.id}, headers=eve.h)
    assert r.status_code == 404
    # A viewer of the source, member of the target: 403.
    await src.add(bob, "viewer")
    await dst.add(bob, "member")
    r = await client.post(url, json={"project_id": dst.id}, headers=bob.h)
    assert (r.status_code, r.json()["code"]) == (403, "role_required")
    # A member of the source, stranger to the target: 422 (the same as for no such project).
    other = await make_user()
    await src.add(other, "member")
    r = await client.post(url, json={"project_id": dst.id}, headers=other.h)
    assert (r.status_code, r.json()["code"]) == (422, "unknown_project")
    assert r.json()["errors"][0]["loc"] == ["body", "project_id"]
    # ... a viewer of the target: 403.
    await dst.add(other, "viewer")
    r = await client.post(url, json={"project_id": dst.id}, headers=other.h)
    assert (r.status_code, r.json()["code"]) == (403, "role_required")
    assert r.headers["content-type"].startswith("application/problem+json")
    # Nothing changed, nothing announced.
    assert await sql("SELECT project_id, number, version FROM tasks.tasks") == before
    assert await outbox("task.moved") == []


async def test_move_refuses_bad_input_and_changes_nothing(
    client, make_user, make_project, outbox, sql
):
    ann = await make_user()
    src = await make_project(ann, key="AAA")
    dst = await make_project(ann, key="BBB")
    task = await src.task(title="t")
    url = f"/api/v1/tasks/{task['id']}/move"
    cases = [
        ({"project_id": src.id}, 422, "same_project"),
        ({"project_id": "0190a000-0000-7000-8000-000000000099"}, 422, "unknown_project"),
        ({"project_id": dst.id, "status": "nope"}, 422, None),
        ({}, 422, None),
        ({"project_id": dst.id, "extra": 1}, 422, None),
    ]
    for body, code, problem in cases:
        r = await client.post(url, json=body, headers=ann.h)
        assert r.status_code == code, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        if problem:
            assert r.json()["code"] == problem
    r = await client.post(url, json={"project_id": dst.id}, headers={**ann.h, "If-Match": '"7"'})
    assert r.status_code == 412
    r = await client.post(f"/api/v1/projects/{dst.id}/archive", headers=ann.h)
    assert r.status_code == 200, r.text
    r = await client.post(url, json={"project_id": dst.id}, headers=ann.h)
    assert (r.status_code, r.json()["code"]) == (409, "project_archived")
    rows = await sql("SELECT project_id, version FROM tasks.tasks")
    assert [(str(p), v) for p, v in rows] == [(src.id, 1)]
    assert await outbox("task.moved") == []
    assert await sql("SELECT count(*) FROM tasks.task_key_redirects") == [(0,)]


async def test_move_to_a_named_status_and_wip_limits(client, make_user, make_project):
    ann, bob = await make_user(), await make_user()
    src = await make_project(ann, key="WA")
    dst = await make_project(ann, key="WB")
    await src.add(bob, "member")
    await dst.add(bob, "member")
    doing = await _status(client, dst, "in_progress")
    r = await client.patch(
        f"/api/v1/projects/{dst.id}/statuses/{doing['id']}",
        json={"wip_limit": 1},
        headers=ann.h,
    )
    assert r.status_code == 200, r.text
    await dst.task(title="busy", status="in_progress")
    t = await src.task(title="t", status="in_progress")
    url = f"/api/v1/tasks/{t['id']}/move"
    r = await client.post(url, json={"project_id": dst.id}, headers=bob.h)
    assert (r.status_code, r.json()["code"]) == (409, "wip_limit_reached")
    r = await client.post(url + "?override_wip=true", json={"project_id": dst.id}, headers=bob.h)
    assert r.status_code == 403  # only an admin may exceed a limit
    r = await client.post(url, json={"project_id": dst.id, "status": "blocked"}, headers=bob.h)
    assert r.status_code == 200, r.text
    assert r.json()["task"]["status"] == "blocked"
    # Moving into done completes it.
    t2 = await src.task(title="t2")
    r = await client.post(
        f"/api/v1/tasks/{t2['id']}/move",
        json={"project_id": dst.id, "status": "done"},
        headers=bob.h,
    )
    assert r.status_code == 200, r.text
    assert r.json()["task"]["completed_at"] is not None


async def test_a_subtask_moved_alone_leaves_its_parent_and_dependencies_stay(
    client, make_user, make_project
):
    ann = await make_user()
    src = await make_project(ann, key="PA")
    dst = await make_project(ann, key="PB")
    parent = await src.task(title="parent")
    child = await src.task(title="child", parent_id=parent["id"])
    blocker = await src.task(title="blocker")
    r = await client.post(
        f"/api/v1/tasks/{child['id']}/blocked-by", json={"task_id": blocker["id"]}, headers=ann.h
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        f"/api/v1/tasks/{child['id']}/move", json={"project_id": dst.id}, headers=ann.h
    )
    assert r.status_code == 200, r.text
    assert r.json()["moved"][0]["detached_from_parent"] is True
    assert r.json()["task"]["parent_id"] is None
    assert r.json()["task"]["blocked"] is True  # the link across projects stays
    r = await client.get(f"/api/v1/tasks/{child['id']}/dependencies", headers=ann.h)
    assert [b["task_id"] for b in r.json()["blocked_by"]] == [blocker["id"]]


async def test_moving_into_done_obeys_the_targets_rule_on_open_blockers(
    client, make_user, make_project, sql
):
    ann = await make_user()
    src = await make_project(ann, key="BA")
    strict = await make_project(ann, key="BB")
    lenient = await make_project(ann, key="BC", allow_completion_with_open_blockers=True)
    task = await src.task(title="waits")
    blocker = await src.task(title="blocker")
    r = await client.post(
        f"/api/v1/tasks/{task['id']}/blocked-by", json={"task_id": blocker["id"]}, headers=ann.h
    )
    assert r.status_code == 201, r.text
    url = f"/api/v1/tasks/{task['id']}/move"
    r = await client.post(url, json={"project_id": strict.id, "status": "done"}, headers=ann.h)
    assert (r.status_code, r.json()["code"]) == (409, "open_blockers")
    assert await sql(
        "SELECT key FROM tasks.projects p JOIN tasks.tasks t ON t.project_id = p.id"
        " WHERE t.id = :t",
        t=task["id"],
    ) == [("BA",)]
    r = await client.post(url, json={"project_id": lenient.id, "status": "done"}, headers=ann.h)
    assert r.status_code == 200, r.text
    assert r.json()["task"]["status_category"] == "done"


async def test_duplicate_copies_fields_not_comments(client, make_user, make_project, outbox):
    ann, bob, eve = await make_user(), await make_user(), await make_user()
    p = await make_project(ann, key="DUP")
    await p.add(bob, "member")
    label = await _label(client, p, "x")
    t = await p.task(
        title="orig",
        description="desc",
        priority="high",
        label_ids=[label],
        assignee_ids=[str(bob.id)],
        estimate_minutes=30,
    )
    child = await p.task(title="child", parent_id=t["id"])
    await p.task(title="grandchild", parent_id=child["id"])
    await client.post(f"/api/v1/tasks/{t['id']}/comments", json={"body": "hi"}, headers=ann.h)
    url = f"/api/v1/tasks/{t['id']}/duplicate"
    # Wrong users: a stranger (404) and a viewer (403).
    await p.add(eve, "viewer")
    assert (await client.post(url, headers=(await make_user()).h)).status_code == 404
    r = await client.post(url, json={}, headers=eve.h)
    assert (r.status_code, r.json()["code"]) == (403, "role_required")
    r = await client.post(url, json={"title": ""}, headers=bob.h)
    assert r.status_code == 422
    r = await client.post(url, headers=bob.h)  # no body: a plain copy
    assert r.status_code == 201, r.text
    copy = r.json()
    assert copy["key"] == "DUP-4"
    assert r.headers["Location"] == f"/api/v1/tasks/{copy['id']}"
    for f in ("title", "description", "priority", "label_ids", "assignee_ids", "status"):
        assert copy[f] == t[f], f
    assert copy["estimate_minutes"] == 30
    r = await client.get(f"/api/v1/tasks/{copy['id']}/comments", headers=bob.h)
    assert r.json()["items"] == []
    r = await client.post(
        url,
        json={"title": "deep copy", "include_subtasks": True},
        headers={**bob.h, "Idempotency-Key": "dup-1"},
    )
    assert r.status_code == 201, r.text
    deep = r.json()
    again = await client.post(
        url,
        json={"title": "deep copy", "include_subtasks": True},
        headers={**bob.h, "Idempotency-Key": "dup-1"},
    )
    assert again.json()["id"] == deep["id"]
    assert deep["title"] == "deep copy"
    r = await client.get(f"/api/v1/projects/{p.id}/tasks?parent={deep['id']}", headers=bob.h)
    (child_copy,) = r.json()["items"]
    assert child_copy["title"] == "child"
    r = await client.get(f"/api/v1/projects/{p.id}/tasks?parent={child_copy['id']}", headers=bob.h)
    assert [x["title"] for x in r.json()["items"]] == ["grandchild"]
    created = [e["task"]["title"] for _, e in await outbox("task.created")]
    assert created[-4:] == ["orig", "deep copy", "child", "grandchild"]
