"""Task dependencies over HTTP: links across projects, cycles, the completion guard, the
`blocked` filter, `task.unblocked`, and every route tried as the wrong user."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any


async def _block(client: Any, who: Any, blocked: dict[str, Any], blocker: dict[str, Any]) -> Any:
    return await client.post(
        f"/api/v1/tasks/{blocked['id']}/blocked-by",
        json={"task_id": blocker["id"]},
        headers=who.h,
    )


async def test_link_list_and_events_across_projects(client, make_user, make_project, outbox):
    ann = await make_user()
    ops, eng = await make_project(ann, key="OPS"), await make_project(ann, key="ENG")
    deploy = await ops.task(title="Deploy")
    build = await eng.task(title="Build")
    r = await _block(client, ann, deploy, build)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["blocked"] is True
    assert [(x["key"], x["open"]) for x in body["blocked_by"]] == [("ENG-1", True)]
    r = await client.get(f"/api/v1/tasks/{build['id']}/dependencies", headers=ann.h)
    assert [x["key"] for x in r.json()["blocks"]] == ["OPS-1"]
    assert r.json()["blocked"] is False
    ((_, added),) = await outbox("task.dependency_added")
    assert added["task"]["key"] == "OPS-1"
    assert added["blocker"]["key"] == "ENG-1"
    r = await _block(client, ann, deploy, build)
    assert (r.status_code, r.json()["code"]) == (409, "duplicate_dependency")
    # The task itself says it is blocked: one task, every list, and after a change.
    r = await client.get(f"/api/v1/tasks/{deploy['id']}", headers=ann.h)
    assert r.json()["blocked"] is True
    r = await client.get("/api/v1/tasks?q=deploy", headers=ann.h)
    assert [(x["key"], x["blocked"]) for x in r.json()["items"]] == [("OPS-1", True)]
    r = await client.get(f"/api/v1/projects/{eng.id}/tasks", headers=ann.h)
    assert [x["blocked"] for x in r.json()["items"]] == [False]
    r = await client.patch(f"/api/v1/tasks/{deploy['id']}", json={"title": "Go"}, headers=ann.h)
    assert r.json()["blocked"] is True
    await client.patch(f"/api/v1/tasks/{build['id']}", json={"status": "done"}, headers=ann.h)
    r = await client.get(f"/api/v1/tasks/{deploy['id']}", headers=ann.h)
    assert r.json()["blocked"] is False

    r = await client.delete(f"/api/v1/tasks/{deploy['id']}/blocked-by/{build['id']}", headers=ann.h)
    assert r.status_code == 204
    assert len(await outbox("task.dependency_removed")) == 1
    r = await client.delete(f"/api/v1/tasks/{deploy['id']}/blocked-by/{build['id']}", headers=ann.h)
    assert (r.status_code, r.json()["code"]) == (404, "dependency_not_found")


async def test_cycles_and_self_links_are_refused(client, make_user, make_project, sql):
    ann = await make_user()
    p = await make_project(ann)
    a, b, c = [await p.task(title=n) for n in "abc"]
    assert (await _block(client, ann, b, a)).status_code == 201  # a blocks b
    assert (await _block(client, ann, c, b)).status_code == 201  # b blocks c
    r = await _block(client, ann, a, c)  # c blocks a: a -> b -> c -> a
    assert (r.status_code, r.json()["code"]) == (409, "dependency_cycle")
    r = await _block(client, ann, a, a)
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "task_id"]
    assert len(await sql("SELECT 1 FROM tasks.task_dependencies")) == 2


async def test_completion_with_open_blockers_is_409_naming_them_unless_allowed(
    client, make_user, make_project, outbox
):
    ann = await make_user()
    p = await make_project(ann, key="BLK")
    blocked = await p.task(title="blocked")
    b1, b2 = await p.task(title="first"), await p.task(title="second")
    await _block(client, ann, blocked, b1)
    await _block(client, ann, blocked, b2)
    r = await client.get(f"/api/v1/projects/{p.id}/tasks?blocked=true", headers=ann.h)
    assert [x["id"] for x in r.json()["items"]] == [blocked["id"]]
    r = await client.get(f"/api/v1/projects/{p.id}/tasks?blocked=false", headers=ann.h)
    assert {x["id"] for x in r.json()["items"]} == {b1["id"], b2["id"]}

    r = await client.patch(f"/api/v1/tasks/{blocked['id']}", json={"status": "done"}, headers=ann.h)
    assert r.status_code == 409
    problem = r.json()
    assert problem["code"] == "open_blockers"
    assert [b["key"] for b in problem["blockers"]] == ["BLK-2", "BLK-3"]
    assert "BLK-2, BLK-3" in problem["detail"]
    r = await client.get(f"/api/v1/tasks/{blocked['id']}", headers=ann.h)
    assert (r.json()["status"], r.json()["version"]) == ("todo", 1)

    # The first blocker done: still blocked, nobody told yet. The second cancelled: free.
    await client.patch(f"/api/v1/tasks/{b1['id']}", json={"status": "done"}, headers=ann.h)
    assert await outbox("task.unblocked") == []
    await client.patch(f"/api/v1/tasks/{b2['id']}", json={"status": "cancelled"}, headers=ann.h)
    ((_, unblocked),) = await outbox("task.unblocked")
    assert unblocked["task"]["task_id"] == blocked["id"]
    assert unblocked["blocker"]["key"] == "BLK-3"
    r = await client.get(f"/api/v1/projects/{p.id}/tasks?blocked=true", headers=ann.h)
    assert r.json()["items"] == []
    r = await client.patch(f"/api/v1/tasks/{blocked['id']}", json={"status": "done"}, headers=ann.h)
    assert r.status_code == 200

    # A project that allows it completes a blocked task.
    q = await make_project(ann, allow_completion_with_open_blockers=True)
    x, y = await q.task(), await q.task()
    await _block(client, ann, x, y)
    r = await client.patch(f"/api/v1/tasks/{x['id']}", json={"status": "done"}, headers=ann.h)
    assert r.status_code == 200
    r = await client.patch(
        f"/api/v1/projects/{q.id}",
        json={"allow_completion_with_open_blockers": False},
        headers=ann.h,
    )
    assert r.status_code == 200
    assert r.json()["allow_completion_with_open_blockers"] is False


async def test_a_blocker_the_caller_cannot_see_is_the_same_422_as_none(
    client, make_user, make_project, sql
):
    ann, bob = await make_user(), await make_user()
    mine = await make_project(ann)
    theirs = await make_project(bob)
    task = await mine.task()
    secret = await theirs.task()
    r1 = await _block(client, ann, task, secret)
    r2 = await _block(client, ann, task, {"id": str(uuid.uuid4())})
    assert r1.status_code == r2.status_code == 422
    assert r1.json()["errors"] == r2.json()["errors"]
    assert await sql("SELECT 1 FROM tasks.task_dependencies") == []
    # A link made while both were visible: the dependencies list hides what is not visible.
    await theirs.add(ann, "viewer")
    assert (await _block(client, ann, task, secret)).status_code == 201
    await client.delete(f"/api/v1/projects/{theirs.id}/members/{ann.id}", headers=bob.h)
    r = await client.get(f"/api/v1/tasks/{task['id']}/dependencies", headers=ann.h)
    assert r.json()["blocked_by"] == []
    assert r.json()["blocked"] is True  # the rule still holds: the blocker is open


async def test_wrong_users(client, make_user, make_project):
    ann, mia, vic, stranger = [await make_user() for _ in range(4)]
    p = await make_project(ann)
    await p.add(mia, "member")
    await p.add(vic, "viewer")
    a, b = await p.task(), await p.task()
    deps = f"/api/v1/tasks/{a['id']}/dependencies"
    link = f"/api/v1/tasks/{a['id']}/blocked-by"
    for who, code in ((stranger, 404), (vic, 403)):
        r = await client.post(link, json={"task_id": b["id"]}, headers=who.h)
        assert r.status_code == code, r.text
    r = await client.get(deps, headers=stranger.h)
    assert r.status_code == 404
    r = await client.get(deps, headers=vic.h)
    assert r.status_code == 200
    r = await client.post(link, json={"task_id": b["id"]}, headers=mia.h)
    assert r.status_code == 201
    for who, code in ((stranger, 404), (vic, 403)):
        r = await client.delete(f"{link}/{b['id']}", headers=who.h)
        assert r.status_code == code
    r = await client.get(deps, headers=vic.h)
    assert len(r.json()["blocked_by"]) == 1
    r = await client.delete(f"{link}/{b['id']}", headers=mia.h)
    assert r.status_code == 204


async def test_concurrent_opposite_links_make_no_cycle(client, make_user, make_project, sql):
    ann = await make_user()
    p = await make_project(ann)
    a, b = await p.task(), await p.task()
    for _ in range(3):
        rs = await asyncio.gather(_block(client, ann, a, b), _block(client, ann, b, a))
        assert sorted(r.status_code for r in rs) == [201, 409]
        rows = await sql("SELECT blocker_id, blocked_id FROM tasks.task_dependencies")
        assert len(rows) == 1
        await sql("DELETE FROM tasks.task_dependencies")
