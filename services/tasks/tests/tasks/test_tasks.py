"""Tasks over HTTP: create, change, trash, validation, concurrency and idempotency."""

from __future__ import annotations

import asyncio
import uuid


async def test_create_numbers_tasks_and_emits_snapshot(client, make_user, make_project, outbox):
    ann = await make_user()
    p = await make_project(ann, key="OPS")
    a = await p.task(title="first", priority="high")
    b = await p.task(title="second")
    assert (a["key"], b["key"]) == ("OPS-1", "OPS-2")
    assert a["priority"] == "high"
    assert a["version"] == 1
    created = await outbox("task.created")
    assert [d["task"]["key"] for _, d in created] == ["OPS-1", "OPS-2"]
    assert created[0][1]["task"]["priority"] == "high"
    r = await client.get(f"/api/v1/projects/{p.id}", headers=ann.h)
    assert r.json()["tasks_total"] == 2


async def test_concurrent_creates_get_distinct_numbers(client, make_user, make_project):
    ann = await make_user()
    p = await make_project(ann, key="NUM")
    rs = await asyncio.gather(
        *[
            client.post(f"/api/v1/projects/{p.id}/tasks", json={"title": f"t{i}"}, headers=ann.h)
            for i in range(12)
        ]
    )
    assert all(r.status_code == 201 for r in rs)
    assert sorted(r.json()["number"] for r in rs) == list(range(1, 13))


async def test_update_with_etag_and_events(client, make_user, make_project, outbox):
    ann, bob = await make_user(), await make_user()
    p = await make_project(ann)
    await p.add(bob, "member")
    t = await p.task(title="t")
    url = f"/api/v1/tasks/{t['id']}"
    r = await client.get(url, headers=bob.h)
    assert r.headers["ETag"] == '"1"'
    r = await client.patch(
        url,
        json={"status": "done", "assignee_ids": [str(bob.id)]},
        headers={**bob.h, "If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["version"] == 2
    assert body["completed_at"] is not None
    assert r.headers["ETag"] == '"2"'
    types = [t for t, _ in await outbox() if t.startswith("task.") and t != "task.created"]
    assert types == ["task.updated", "task.assigned", "task.status_changed", "task.completed"]
    _, upd = (await outbox("task.updated"))[0]
    assert upd["changes"]["status"] == {"before": "todo", "after": "done"}
    r = await client.patch(url, json={"status": "todo"}, headers={**bob.h, "If-Match": '"2"'})
    assert r.json()["completed_at"] is None
    assert [t for t, _ in await outbox("task.reopened")] == ["task.reopened"]
    r = await client.get(f"{url}/activity", headers=bob.h)
    actions = [a["action"] for a in r.json()["items"]]
    assert actions == ["task.updated", "task.updated", "task.created"]
    assert r.json()["items"][1]["changes"]["status"] == {"before": "todo", "after": "done"}
    assert r.json()["items"][1]["actor_id"] == str(bob.id)


async def test_same_if_match_twice_concurrently_gives_one_200_and_one_412(
    client, make_user, make_project
):
    ann = await make_user()
    p = await make_project(ann)
    t = await p.task()
    url = f"/api/v1/tasks/{t['id']}"
    for attempt in range(3):
        version = (await client.get(url, headers=ann.h)).json()["version"]
        h = {**ann.h, "If-Match": f'"{version}"'}
        r1, r2 = await asyncio.gather(
            client.patch(url, json={"title": f"a{attempt}"}, headers=h),
            client.patch(url, json={"title": f"b{attempt}"}, headers=h),
        )
        assert sorted([r1.status_code, r2.status_code]) == [200, 412], (r1.text, r2.text)
        assert (await client.get(url, headers=ann.h)).json()["version"] == version + 1


async def test_idempotency_key_makes_one_task(client, make_user, make_project, sql):
    ann = await make_user()
    p = await make_project(ann)
    h = {**ann.h, "Idempotency-Key": "abc-123"}
    url = f"/api/v1/projects/{p.id}/tasks"
    r1 = await client.post(url, json={"title": "once"}, headers=h)
    r2 = await client.post(url, json={"title": "once"}, headers=h)
    assert r1.status_code == r2.status_code == 201
    assert r1.json()["id"] == r2.json()["id"]
    assert r2.headers.get("Idempotent-Replayed") == "true"
    assert (await sql("SELECT count(*) FROM tasks.tasks"))[0][0] == 1
    r3 = await client.post(url, json={"title": "other"}, headers=h)
    assert r3.status_code == 422
    assert r3.json()["code"] == "idempotency_key_reused"


async def test_bad_references_are_422_naming_the_field(client, make_user, make_project):
    ann, stranger = await make_user(), await make_user()
    p, other = await make_project(ann), await make_project(ann)
    foreign_task = await other.task()
    url = f"/api/v1/projects/{p.id}/tasks"
    cases = [
        ({"title": "x", "label_ids": [str(uuid.uuid4())]}, "label_ids"),
        ({"title": "x", "assignee_ids": [str(stranger.id)]}, "assignee_ids"),
        ({"title": "x", "watcher_ids": [str(stranger.id)]}, "watcher_ids"),
        ({"title": "x", "parent_id": foreign_task["id"]}, "parent_id"),
        ({"title": "x", "milestone_id": str(uuid.uuid4())}, "milestone_id"),
        ({"title": "x", "recurrence": {"rrule": "FREQ=MINUTELY"}}, "rrule"),
        ({"title": "x", "recurrence": {"rrule": "FREQ=DAILY;BYMINUTE=0,30"}}, "rrule"),
        ({"title": "x", "recurrence": {"rrule": "NOT A RULE"}}, "rrule"),
        (
            {"title": "x", "start_at": "2026-05-02T00:00:00Z", "due_at": "2026-05-01T00:00:00Z"},
            None,
        ),
        ({"title": ""}, "title"),
        ({"title": "x" * 501}, "title"),
        ({"title": "x", "description": "d" * 50_001}, "description"),
        ({"title": "x", "progress": 101}, "progress"),
        ({"title": "x", "status": "nope"}, "status"),
        ({"title": "x", "reminders": [{}]}, "reminders"),
    ]
    for body, field in cases:
        r = await client.post(url, json=body, headers=ann.h)
        assert r.status_code == 422, (body, r.text)
        locs = [e["loc"] for e in r.json()["errors"]]
        if field:
            assert any(field in loc for loc in locs), (field, locs)
        else:
            assert r.json()["errors"]


async def test_parent_cycle_is_refused(client, make_user, make_project):
    ann = await make_user()
    p = await make_project(ann)
    a = await p.task(title="a")
    b = await p.task(title="b", parent_id=a["id"])
    c = await p.task(title="c", parent_id=b["id"])
    r = await client.patch(f"/api/v1/tasks/{a['id']}", json={"parent_id": c["id"]}, headers=ann.h)
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "parent_id"]
    assert r.json()["errors"][0]["type"] == "parent_cycle"
    r = await client.patch(f"/api/v1/tasks/{a['id']}", json={"parent_id": a["id"]}, headers=ann.h)
    assert r.status_code == 422
    # due before the existing start on a partial update
    await client.patch(
        f"/api/v1/tasks/{a['id']}", json={"start_at": "2026-05-02T00:00:00Z"}, headers=ann.h
    )
    r = await client.patch(
        f"/api/v1/tasks/{a['id']}", json={"due_at": "2026-05-01T00:00:00Z"}, headers=ann.h
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "due_at"]


async def test_oversized_body_is_413(client, make_user, make_project):
    ann = await make_user()
    p = await make_project(ann)
    r = await client.post(
        f"/api/v1/projects/{p.id}/tasks",
        content=b'{"title": "' + b"x" * 2_000_000 + b'"}',
        headers={**ann.h, "Content-Type": "application/json"},
    )
    assert r.status_code == 413


async def test_failed_request_writes_nothing(client, make_user, make_project, sql):
    """A refused update leaves no activity, no event and no version bump behind."""
    ann = await make_user()
    p = await make_project(ann)
    t = await p.task()
    before = await sql("SELECT count(*) FROM tasks.outbox")
    r = await client.patch(
        f"/api/v1/tasks/{t['id']}",
        json={"title": "new", "label_ids": [str(uuid.uuid4())]},
        headers=ann.h,
    )
    assert r.status_code == 422
    assert await sql("SELECT count(*) FROM tasks.outbox") == before
    assert (await sql("SELECT title, version FROM tasks.tasks"))[0] == ("A task", 1)


async def test_trash_restore_and_counts(client, make_user, make_project, outbox):
    ann = await make_user()
    p = await make_project(ann)
    t = await p.task(status="done")
    url = f"/api/v1/tasks/{t['id']}"
    r = await client.get(f"/api/v1/projects/{p.id}", headers=ann.h)
    assert (r.json()["tasks_total"], r.json()["progress"]) == (1, 100)
    r = await client.delete(url, headers={**ann.h, "If-Match": '"7"'})
    assert r.status_code == 412
    assert (await client.delete(url, headers=ann.h)).status_code == 204
    assert (await client.get(url, headers=ann.h)).status_code == 404
    assert (await client.patch(url, json={"title": "x"}, headers=ann.h)).status_code == 404
    r = await client.get(f"/api/v1/projects/{p.id}/trash", headers=ann.h)
    assert [x["id"] for x in r.json()["items"]] == [t["id"]]
    r = await client.get(f"/api/v1/projects/{p.id}", headers=ann.h)
    assert r.json()["tasks_total"] == 0
    r = await client.post(f"{url}/restore", headers=ann.h)
    assert r.status_code == 200
    assert r.json()["deleted_at"] is None
    assert (await client.post(f"{url}/restore", headers=ann.h)).status_code == 404
    r = await client.get(f"/api/v1/projects/{p.id}", headers=ann.h)
    assert r.json()["tasks_done"] == 1
    assert [t for t, _ in await outbox() if t in ("task.deleted", "task.restored")] == [
        "task.deleted",
        "task.restored",
    ]


async def test_viewer_reads_but_cannot_write(client, make_user, make_project):
    ann, vic = await make_user(), await make_user()
    p = await make_project(ann)
    await p.add(vic, "viewer")
    t = await p.task()
    assert (await client.get(f"/api/v1/tasks/{t['id']}", headers=vic.h)).status_code == 200
    assert (await client.delete(f"/api/v1/tasks/{t['id']}", headers=vic.h)).status_code == 403
    r = await client.post(
        "/api/v1/tasks/bulk",
        json={"operations": [{"op": "delete", "task_id": t["id"]}]},
        headers=vic.h,
    )
    assert r.status_code == 409
    assert r.json()["results"][0]["code"] == "role_required"


async def test_labels_and_milestones(client, make_user, make_project, outbox):
    ann = await make_user()
    p = await make_project(ann)
    r = await client.post(
        f"/api/v1/projects/{p.id}/labels", json={"name": "Bug", "colour": "#ff0000"}, headers=ann.h
    )
    assert r.status_code == 201
    label = r.json()
    r = await client.post(f"/api/v1/projects/{p.id}/labels", json={"name": "bug"}, headers=ann.h)
    assert r.status_code == 409
    r = await client.post(
        f"/api/v1/projects/{p.id}/milestones",
        json={"title": "M1", "due_date": "2026-12-01"},
        headers=ann.h,
    )
    ms = r.json()
    t = await p.task(label_ids=[label["id"]], milestone_id=ms["id"], status="done")
    await p.task(milestone_id=ms["id"])
    r = await client.get(f"/api/v1/milestones/{ms['id']}", headers=ann.h)
    assert (r.json()["tasks_total"], r.json()["progress"]) == (2, 50)
    r = await client.patch(
        f"/api/v1/milestones/{ms['id']}",
        json={"state": "closed"},
        headers={**ann.h, "If-Match": '"1"'},
    )
    assert r.status_code == 200
    assert r.json()["version"] == 2
    assert [t for t, _ in await outbox() if t.startswith("milestone.")] == [
        "milestone.created",
        "milestone.updated",
    ]
    assert (await client.delete(f"/api/v1/labels/{label['id']}", headers=ann.h)).status_code == 204
    r = await client.get(f"/api/v1/tasks/{t['id']}", headers=ann.h)
    assert (r.json()["label_ids"], r.json()["version"]) == ([], 2)
    _, data = (await outbox("task.updated"))[-1]
    assert data["task"]["task_id"] == t["id"]
    assert data["changes"]["label_ids"] == {"before": [label["id"]], "after": []}

    # deleting the milestone takes it off its tasks (task.updated each) and announces the
    # deletion as milestone.updated (state -> deleted: there is no milestone.deleted contract)
    r = await client.delete(f"/api/v1/milestones/{ms['id']}", headers={**ann.h, "If-Match": '"2"'})
    assert r.status_code == 204
    r = await client.get(f"/api/v1/tasks/{t['id']}", headers=ann.h)
    assert (r.json()["milestone_id"], r.json()["version"]) == (None, 3)
    moved = [d for _, d in await outbox("task.updated") if "milestone_id" in d["changes"]]
    assert len(moved) == 2
    assert all(d["changes"]["milestone_id"]["before"] == ms["id"] for d in moved)
    _, gone = (await outbox("milestone.updated"))[-1]
    assert gone["changes"]["state"] == {"before": "closed", "after": "deleted"}
    assert gone["version"] == 3
    assert (await client.get(f"/api/v1/milestones/{ms['id']}", headers=ann.h)).status_code == 404


async def test_reminders_and_recurrence_can_be_changed(client, make_user, make_project, outbox):
    ann = await make_user()
    p = await make_project(ann)
    t = await p.task(due_at="2026-06-01T09:00:00Z")
    r = await client.patch(
        f"/api/v1/tasks/{t['id']}",
        json={
            "reminders": [{"before_minutes": 15}, {"at": "2026-05-31T18:00:00+02:00"}],
            "recurrence": {"rrule": "FREQ=MONTHLY;BYMONTHDAY=1", "mode": "fixed"},
        },
        headers=ann.h,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["reminders"][0] == {"before_minutes": 15}
    assert body["reminders"][1]["at"] == "2026-05-31T16:00:00+00:00"
    assert (body["series_id"], body["occurrence_index"]) == (t["id"], 0)
    _, upd = (await outbox("task.updated"))[-1]
    assert upd["task"]["recurrence"] == {"rrule": "FREQ=MONTHLY;BYMONTHDAY=1", "mode": "fixed"}
    r = await client.patch(f"/api/v1/tasks/{t['id']}", json={"recurrence": None}, headers=ann.h)
    assert r.json()["recurrence"] is None
    r = await client.get(
        f"/api/v1/projects/{p.id}/tasks", params={"recurring": "true"}, headers=ann.h
    )
    assert r.json()["items"] == []
