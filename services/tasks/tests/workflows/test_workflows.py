"""Project workflows over HTTP: the default workflow, admin changes, completion by category,
filters, and every new route tried as the wrong user.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from tasks_testkit import statuses_by_name

from taskflow.tasks.tasks import occurrences


async def test_new_project_has_the_default_workflow_and_tasks_carry_id_and_category(
    client, make_user, make_project, outbox
):
    ann = await make_user()
    p = await make_project(ann)
    r = await client.get(f"/api/v1/projects/{p.id}/statuses", headers=ann.h)
    items = r.json()["items"]
    assert [(s["name"], s["category"], s["position"]) for s in items] == [
        ("todo", "todo", 0),
        ("in_progress", "in_progress", 1),
        ("blocked", "in_progress", 2),
        ("done", "done", 3),
        ("cancelled", "cancelled", 4),
    ]
    t = await p.task()
    assert (t["status"], t["status_category"], t["status_id"]) == ("todo", "todo", items[0]["id"])
    ((_, created),) = await outbox("task.created")
    assert created["task"]["status_id"] == items[0]["id"]
    assert created["task"]["status_category"] == "todo"
    r = await client.get(f"/api/v1/projects/{p.id}/statuses", headers=ann.h)
    assert r.json()["items"][0]["task_count"] == 1


async def test_admin_adds_renames_reorders_and_tasks_follow(
    client, make_user, make_project, outbox
):
    ann = await make_user()
    p = await make_project(ann)
    r = await client.post(
        f"/api/v1/projects/{p.id}/statuses",
        json={"name": "In review", "category": "in_progress", "colour": "#A855F7", "position": 2},
        headers=ann.h,
    )
    assert r.status_code == 201, r.text
    review = r.json()
    assert (review["position"], review["colour"]) == (2, "#a855f7")
    names = list(await statuses_by_name(client, p, ann))
    assert names == ["todo", "in_progress", "In review", "blocked", "done", "cancelled"]

    t = await p.task(status="in review")  # names match case-insensitively
    assert (t["status_id"], t["status"]) == (review["id"], "In review")
    r = await client.patch(
        f"/api/v1/projects/{p.id}/statuses/{review['id']}",
        json={"name": "Review", "colour": "#000000"},
        headers={**ann.h, "If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["version"], r.json()["task_count"]) == ("Review", 2, 1)
    r = await client.get(f"/api/v1/tasks/{t['id']}", headers=ann.h)
    assert r.json()["status"] == "Review"  # the rename reached the task
    r = await client.get(f"/api/v1/projects/{p.id}/tasks?status=review", headers=ann.h)
    assert [x["id"] for x in r.json()["items"]] == [t["id"]]

    ids = [s["id"] for s in (await statuses_by_name(client, p, ann)).values()]
    r = await client.put(
        f"/api/v1/projects/{p.id}/statuses/order",
        json={"status_ids": list(reversed(ids))},
        headers=ann.h,
    )
    assert r.status_code == 200, r.text
    assert [s["id"] for s in r.json()["items"]] == list(reversed(ids))
    changes = [d["change"] for _, d in await outbox("project.workflow_changed")]
    assert changes == ["status_added", "status_updated", "statuses_reordered"]
    (_, last) = (await outbox("project.workflow_changed"))[-1]
    assert [s["status_id"] for s in last["statuses"]] == list(reversed(ids))


async def test_bad_workflow_input_is_422_or_409_and_changes_nothing(
    client, make_user, make_project
):
    ann = await make_user()
    p = await make_project(ann)
    url = f"/api/v1/projects/{p.id}/statuses"
    r = await client.post(url, json={"name": "x", "category": "nope"}, headers=ann.h)
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "category"]
    r = await client.post(
        url, json={"name": "x", "category": "todo", "colour": "red"}, headers=ann.h
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "colour"]
    r = await client.post(url, json={"name": "DONE", "category": "done"}, headers=ann.h)
    assert (r.status_code, r.json()["code"]) == (409, "duplicate_status")
    statuses = await statuses_by_name(client, p, ann)
    r = await client.patch(
        f"{url}/{statuses['todo']['id']}", json={"category": "done"}, headers=ann.h
    )
    assert r.status_code == 422  # the category of a status never changes
    r = await client.put(
        f"{url}/order", json={"status_ids": [statuses["todo"]["id"]]}, headers=ann.h
    )
    assert (r.status_code, r.json()["errors"][0]["loc"]) == (422, ["body", "status_ids"])
    r = await client.patch(
        f"{url}/{statuses['todo']['id']}", json={"name": "x"}, headers={**ann.h, "If-Match": '"9"'}
    )
    assert r.status_code == 412
    assert list(await statuses_by_name(client, p, ann)) == list(statuses)
    # A task cannot take another project's status, nor a status that does not exist.
    other = await make_project(ann)
    foreign = (await statuses_by_name(client, other, ann))["todo"]["id"]
    r = await client.post(
        f"/api/v1/projects/{p.id}/tasks", json={"title": "t", "status_id": foreign}, headers=ann.h
    )
    assert (r.status_code, r.json()["errors"][0]["loc"]) == (422, ["body", "status_id"])
    r = await client.post(
        f"/api/v1/projects/{p.id}/tasks", json={"title": "t", "status": "nope"}, headers=ann.h
    )
    assert (r.status_code, r.json()["errors"][0]["loc"]) == (422, ["body", "status"])
    r = await client.post(
        f"/api/v1/projects/{p.id}/tasks",
        json={"title": "t", "status": "done", "status_id": statuses["todo"]["id"]},
        headers=ann.h,
    )
    assert r.status_code == 422
    r = await client.get(f"/api/v1/projects/{p.id}/tasks", headers=ann.h)
    assert r.json()["items"] == []


async def test_remove_moves_every_task_in_one_transaction(
    client, make_user, make_project, outbox, sql
):
    ann = await make_user()
    p = await make_project(ann)
    st = await statuses_by_name(client, p, ann)
    live = await p.task(status="blocked")
    trashed = await p.task(status="blocked")
    await client.delete(f"/api/v1/tasks/{trashed['id']}", headers=ann.h)
    url = f"/api/v1/projects/{p.id}/statuses/{st['blocked']['id']}"
    r = await client.delete(url, headers=ann.h)
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["query", "move_to"]
    r = await client.delete(f"{url}?move_to={uuid.uuid4()}", headers=ann.h)
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["query", "move_to"]
    assert "blocked" in await statuses_by_name(client, p, ann)

    r = await client.delete(f"{url}?move_to={st['done']['id']}", headers=ann.h)
    assert r.status_code == 204, r.text
    assert "blocked" not in await statuses_by_name(client, p, ann)
    rows = await sql("SELECT id, status, status_category, completed_at, version FROM tasks.tasks")
    assert {(r.status, r.status_category) for r in rows} == {("done", "done")}
    assert all(r.completed_at is not None and r.version >= 2 for r in rows)
    r = await client.get(f"/api/v1/projects/{p.id}", headers=ann.h)
    assert (r.json()["tasks_total"], r.json()["tasks_done"]) == (1, 1)  # trashed not counted
    moved = [d["task"]["task_id"] for _, d in await outbox("task.completed")]
    assert sorted(moved) == sorted([live["id"], trashed["id"]])
    ((_, removed),) = await outbox("project.workflow_changed")
    assert (removed["change"], removed["moved_tasks"]) == ("status_removed", 2)
    assert removed["moved_to"] == st["done"]["id"]


async def test_workflow_keeps_an_open_and_a_done_status(client, make_user, make_project):
    ann = await make_user()
    p = await make_project(ann)
    st = await statuses_by_name(client, p, ann)
    base = f"/api/v1/projects/{p.id}/statuses"
    r = await client.delete(f"{base}/{st['done']['id']}?move_to={st['todo']['id']}", headers=ann.h)
    assert (r.status_code, r.json()["code"]) == (409, "workflow_needs_status")
    for name in ("todo", "in_progress"):
        r = await client.delete(
            f"{base}/{st[name]['id']}?move_to={st['blocked']['id']}", headers=ann.h
        )
        assert r.status_code == 204
    r = await client.delete(
        f"{base}/{st['blocked']['id']}?move_to={st['done']['id']}", headers=ann.h
    )
    assert (r.status_code, r.json()["code"]) == (409, "workflow_needs_status")
    # A project whose only open status is in_progress still takes new tasks (they go there).
    t = await p.task()
    assert t["status"] == "blocked"


async def test_completion_follows_the_category_not_the_name(
    client, make_user, make_project, outbox
):
    ann = await make_user()
    p = await make_project(ann)
    r = await client.post(
        f"/api/v1/projects/{p.id}/statuses",
        json={"name": "Shipped", "category": "done"},
        headers=ann.h,
    )
    shipped = r.json()["id"]
    t = await p.task(due_at="2020-01-01T00:00:00Z")
    r = await client.get(f"/api/v1/projects/{p.id}/tasks?overdue=true", headers=ann.h)
    assert [x["id"] for x in r.json()["items"]] == [t["id"]]
    r = await client.patch(f"/api/v1/tasks/{t['id']}", json={"status_id": shipped}, headers=ann.h)
    assert r.json()["completed_at"] is not None
    completed_at = r.json()["completed_at"]
    ((_, changed),) = await outbox("task.status_changed")
    assert (changed["before"], changed["after"]) == ("todo", "Shipped")
    assert (changed["before_category"], changed["after_category"]) == ("todo", "done")
    assert len(await outbox("task.completed")) == 1
    r = await client.get(f"/api/v1/projects/{p.id}/tasks?overdue=true", headers=ann.h)
    assert r.json()["items"] == []
    r = await client.get(f"/api/v1/projects/{p.id}", headers=ann.h)
    assert r.json()["tasks_done"] == 1
    # done -> done (another status of the category) is neither a completion nor a reopening.
    r = await client.patch(f"/api/v1/tasks/{t['id']}", json={"status": "done"}, headers=ann.h)
    assert r.json()["completed_at"] == completed_at
    assert len(await outbox("task.completed")) == 1
    assert await outbox("task.reopened") == []
    r = await client.patch(f"/api/v1/tasks/{t['id']}", json={"status": "blocked"}, headers=ann.h)
    assert r.json()["completed_at"] is None
    assert len(await outbox("task.reopened")) == 1


async def test_status_filter_by_id_category_or_name(client, make_user, make_project):
    ann = await make_user()
    p = await make_project(ann)
    st = await statuses_by_name(client, p, ann)
    todo = await p.task(status="todo")
    doing = await p.task(status="in_progress")
    blocked = await p.task(status="blocked")
    done = await p.task(status="done")

    async def ids(query: str) -> set[str]:
        r = await client.get(f"/api/v1/projects/{p.id}/tasks?{query}", headers=ann.h)
        assert r.status_code == 200, r.text
        return {x["id"] for x in r.json()["items"]}

    assert await ids("status=in_progress") == {doing["id"], blocked["id"]}  # the category
    assert await ids("status=blocked") == {blocked["id"]}  # a name
    assert await ids(f"status={st['todo']['id']}&status=done") == {todo["id"], done["id"]}
    r = await client.get(f"/api/v1/tasks?status={'x' * 41}", headers=ann.h)
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"][:2] == ["query", "status"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "", {"name": "New", "category": "todo"}),
        ("PATCH", "/{sid}", {"name": "Renamed"}),
        ("PUT", "/order", None),
        ("DELETE", "/{sid}?move_to={other}", None),
    ],
)
async def test_only_admins_and_owners_change_the_workflow(
    client, make_user, make_project, method, path, body
):
    ann, adam, mia, vic, stranger = [await make_user() for _ in range(5)]
    p = await make_project(ann)
    await p.add(adam, "admin")
    await p.add(mia, "member")
    await p.add(vic, "viewer")
    st = await statuses_by_name(client, p, ann)
    ids = [s["id"] for s in st.values()]
    url = f"/api/v1/projects/{p.id}/statuses" + path.format(
        sid=st["blocked"]["id"], other=st["todo"]["id"]
    )
    payload = body if body is not None else ({"status_ids": ids} if method == "PUT" else None)
    for who, code in ((stranger, 404), (vic, 403), (mia, 403)):
        r = await client.request(method, url, json=payload, headers=who.h)
        assert r.status_code == code, (who, r.text)
    assert list(await statuses_by_name(client, p, ann)) == list(st)
    r = await client.request(method, url, json=payload, headers=adam.h)
    assert r.status_code in (200, 201, 204), r.text
    r = await client.get(f"/api/v1/projects/{p.id}/statuses", headers=stranger.h)
    assert r.status_code == 404
    r = await client.get(f"/api/v1/projects/{p.id}/statuses", headers=vic.h)
    assert r.status_code == 200


async def test_a_status_of_another_project_is_404(client, make_user, make_project):
    ann = await make_user()
    p, q = await make_project(ann), await make_project(ann)
    theirs = (await statuses_by_name(client, q, ann))["todo"]["id"]
    r = await client.patch(
        f"/api/v1/projects/{p.id}/statuses/{theirs}", json={"name": "x"}, headers=ann.h
    )
    assert (r.status_code, r.json()["code"]) == (404, "status_not_found")


async def test_purging_a_trashed_project_takes_its_workflow_and_links_along(
    client, app, make_user, make_project, sql
):
    """The purge job hard-deletes old trashed projects: statuses and links go with them."""
    ann = await make_user()
    p, keep = await make_project(ann), await make_project(ann)
    a, b = await p.task(status="blocked"), await p.task()
    other = await keep.task()
    await client.post(
        f"/api/v1/tasks/{a['id']}/blocked-by", json={"task_id": b["id"]}, headers=ann.h
    )
    await client.post(
        f"/api/v1/tasks/{other['id']}/blocked-by", json={"task_id": a["id"]}, headers=ann.h
    )
    assert (await client.delete(f"/api/v1/projects/{p.id}", headers=ann.h)).status_code == 204
    await sql(
        "UPDATE tasks.projects SET deleted_at = now() - interval '31 days' WHERE id = :i",
        i=uuid.UUID(p.id),
    )
    async with app.state.db.sessionmaker.begin() as s:
        await occurrences.purge_trash(s, timedelta(days=30))
    assert await sql("SELECT 1 FROM tasks.projects WHERE id = :i", i=uuid.UUID(p.id)) == []
    left = await sql("SELECT project_id FROM tasks.project_statuses")
    assert {r.project_id for r in left} == {uuid.UUID(keep.id)}
    assert await sql("SELECT 1 FROM tasks.task_dependencies") == []
    r = await client.get(f"/api/v1/tasks/{other['id']}/dependencies", headers=ann.h)
    assert r.json() == {"task_id": other["id"], "blocked": False, "blocked_by": [], "blocks": []}
