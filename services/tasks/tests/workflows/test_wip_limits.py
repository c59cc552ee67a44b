"""WIP limits of a workflow's statuses: a move refused unless an admin overrides, and two
concurrent moves that cannot both take the last place.
"""

from __future__ import annotations

import asyncio

from tasks_testkit import statuses_by_name


async def test_wip_limit_refuses_a_move_unless_an_admin_overrides(client, make_user, make_project):
    ann, bob = await make_user(), await make_user()
    p = await make_project(ann)
    await p.add(bob, "member")
    st = await statuses_by_name(client, p, ann)
    doing = st["in_progress"]["id"]
    r = await client.patch(
        f"/api/v1/projects/{p.id}/statuses/{doing}", json={"wip_limit": 1}, headers=ann.h
    )
    assert r.status_code == 200
    assert r.json()["wip_limit"] == 1
    first = await p.task(bob, status_id=doing)
    second = await p.task(bob)
    r = await client.patch(
        f"/api/v1/tasks/{second['id']}", json={"status": "in_progress"}, headers=bob.h
    )
    assert r.status_code == 409
    problem = r.json()
    assert (problem["code"], problem["wip_limit"], problem["status_name"]) == (
        "wip_limit_reached",
        1,
        "in_progress",
    )
    assert "WIP limit is 1" in problem["detail"]
    r = await client.post(
        f"/api/v1/projects/{p.id}/tasks", json={"title": "x", "status_id": doing}, headers=bob.h
    )
    assert r.status_code == 409
    # A member cannot override; the refused task did not change.
    r = await client.patch(
        f"/api/v1/tasks/{second['id']}?override_wip=true",
        json={"status": "in_progress"},
        headers=bob.h,
    )
    assert r.status_code == 403
    r = await client.get(f"/api/v1/tasks/{second['id']}", headers=bob.h)
    assert (r.json()["status"], r.json()["version"]) == ("todo", 1)
    # The admin can; moving the task already in the status is no move at all.
    r = await client.patch(
        f"/api/v1/tasks/{second['id']}?override_wip=true",
        json={"status": "in_progress"},
        headers=ann.h,
    )
    assert r.status_code == 200
    assert r.json()["status_id"] == doing
    r = await client.patch(
        f"/api/v1/tasks/{first['id']}", json={"status_id": doing, "title": "t2"}, headers=bob.h
    )
    assert r.status_code == 200
    # Bulk moves obey the limit too.
    r = await client.post(
        "/api/v1/tasks/bulk",
        json={
            "operations": [{"op": "move", "task_id": (await p.task())["id"], "status_id": doing}]
        },
        headers=bob.h,
    )
    assert r.status_code == 409
    assert r.json()["results"][0]["code"] == "wip_limit_reached"


async def test_concurrent_moves_cannot_both_take_the_last_wip_place(
    client, make_user, make_project
):
    ann = await make_user()
    p = await make_project(ann)
    doing = (await statuses_by_name(client, p, ann))["in_progress"]["id"]
    await client.patch(
        f"/api/v1/projects/{p.id}/statuses/{doing}", json={"wip_limit": 2}, headers=ann.h
    )
    await p.task(status_id=doing)
    tasks = [await p.task() for _ in range(6)]
    rs = await asyncio.gather(
        *[
            client.patch(f"/api/v1/tasks/{t['id']}", json={"status_id": doing}, headers=ann.h)
            for t in tasks
        ]
    )
    assert sorted(r.status_code for r in rs) == [200, 409, 409, 409, 409, 409]
    assert (await statuses_by_name(client, p, ann))["in_progress"]["task_count"] == 2
