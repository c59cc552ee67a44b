"""Bulk changes (all or nothing) and export / import."""

from __future__ import annotations

import csv
import io
import uuid


async def test_bulk_applies_everything(client, make_user, make_project, outbox):
    ann = await make_user()
    p = await make_project(ann)
    a, b, c = await p.task(title="a"), await p.task(title="b"), await p.task(title="c")
    await client.delete(f"/api/v1/tasks/{c['id']}", headers=ann.h)
    ops = [
        {"op": "update", "task_id": a["id"], "version": 1, "changes": {"priority": "high"}},
        {"op": "move", "task_id": b["id"], "version": 1, "status": "in_progress", "position": 0.5},
        {"op": "restore", "task_id": c["id"]},
        {"op": "delete", "task_id": a["id"], "version": 2},
    ]
    r = await client.post("/api/v1/tasks/bulk", json={"operations": ops}, headers=ann.h)
    assert r.status_code == 200, r.text
    assert [x["status"] for x in r.json()["results"]] == ["ok"] * 4
    assert [x["version"] for x in r.json()["results"]] == [2, 2, 3, 3]
    r = await client.get(f"/api/v1/tasks/{b['id']}", headers=ann.h)
    assert (r.json()["status"], r.json()["position"]) == ("in_progress", 0.5)
    assert (await client.get(f"/api/v1/tasks/{c['id']}", headers=ann.h)).status_code == 200


async def test_one_bad_item_changes_nothing(client, make_user, make_project, sql):
    ann, eve = await make_user(), await make_user()
    p, q = await make_project(ann), await make_project(eve)
    a, b = await p.task(title="a"), await p.task(title="b")
    foreign = await q.task(title="not yours")
    outbox_before = await sql("SELECT count(*) FROM tasks.outbox")
    ops = [
        {"op": "update", "task_id": a["id"], "version": 1, "changes": {"title": "changed"}},
        {"op": "update", "task_id": b["id"], "version": 9, "changes": {"title": "stale"}},
        {"op": "delete", "task_id": foreign["id"]},
        {"op": "update", "task_id": a["id"], "changes": {"label_ids": [str(uuid.uuid4())]}},
        {"op": "delete", "task_id": str(uuid.uuid4())},
    ]
    r = await client.post("/api/v1/tasks/bulk", json={"operations": ops}, headers=ann.h)
    assert r.status_code == 409
    assert r.json()["code"] == "bulk_rejected"
    res = r.json()["results"]
    assert [x["status"] for x in res] == ["not_applied", "failed", "failed", "failed", "failed"]
    assert [x["code"] for x in res[1:]] == [
        "precondition_failed",
        "task_not_found",
        "validation_error",
        "task_not_found",
    ]
    assert res[3]["errors"][0]["loc"] == ["body", "label_ids"]
    assert (
        await sql("SELECT title, version FROM tasks.tasks WHERE id = :i", i=uuid.UUID(a["id"]))
    )[0] == ("a", 1)
    assert await sql("SELECT count(*) FROM tasks.outbox") == outbox_before
    r = await client.post(
        "/api/v1/tasks/bulk",
        json={"operations": [{"op": "delete", "task_id": a["id"]}] * 501},
        headers=ann.h,
    )
    assert r.status_code == 422


async def test_export_and_import(client, make_user, make_project):
    ann, bob = await make_user("ann"), await make_user("bob")
    p = await make_project(ann, key="EXP")
    await p.add(bob, "member")
    await client.post(f"/api/v1/projects/{p.id}/labels", json={"name": "Ops"}, headers=ann.h)
    await p.task(title="=cmd()", description="formula", assignee_ids=[str(bob.id)])
    r = await client.get(f"/api/v1/projects/{p.id}/export", params={"format": "csv"}, headers=ann.h)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows[0]["key"] == "EXP-1"
    assert rows[0]["title"] == "'=cmd()"
    assert rows[0]["assignees"] == "bob@example.com"
    r = await client.get(f"/api/v1/projects/{p.id}/export", headers=ann.h)
    assert r.json()[0]["key"] == "EXP-1"

    data = (
        "title,status,priority,labels,assignees,due_at\n"
        "Good one,in_progress,high,ops,bob@example.com,2026-12-01T09:00:00Z\n"
        ",todo,,,,\n"
        "Bad label,todo,,nope,,\n"
        "Stranger,todo,,,eve@example.com,\n"
        "Bad status,sleeping,,,,\n"
    )
    r = await client.post(
        f"/api/v1/projects/{p.id}/import",
        content=data.encode(),
        headers={**ann.h, "Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    rep = r.json()
    assert (rep["created"], rep["refused"]) == (1, 4)
    assert [x["status"] for x in rep["rows"]] == [
        "created",
        "refused",
        "refused",
        "refused",
        "refused",
    ]
    assert rep["rows"][0]["key"] == "EXP-2"
    assert [x["row"] for x in rep["rows"]] == [2, 3, 4, 5, 6]
    assert rep["rows"][2]["errors"][0]["loc"] == ["labels"]
    assert rep["rows"][3]["errors"][0]["loc"] == ["assignees"]
    assert rep["rows"][4]["errors"][0]["loc"] == ["status"]
    t = (await client.get(f"/api/v1/tasks/{rep['rows'][0]['task_id']}", headers=ann.h)).json()
    assert t["priority"] == "high"
    assert t["assignee_ids"] == [str(bob.id)]
    assert len(t["label_ids"]) == 1
    r = await client.post(
        f"/api/v1/projects/{p.id}/import",
        content=b"title\nx\n",
        headers={**ann.h, "Content-Type": "application/json"},
    )
    assert r.status_code in (415, 422)


async def test_import_takes_more_than_the_ordinary_body_limit(client, make_user, make_project):
    """Import may carry up to `import_max_bytes` (10 MiB, as the gateway); nothing else may."""
    ann = await make_user()
    p = await make_project(ann)
    csv_h = {**ann.h, "Content-Type": "text/csv"}
    rows = [f"Task {i},{'d' * 49_000}" for i in range(30)]
    body = ("title,description\n" + "\n".join(rows) + "\n").encode()
    assert 1024 * 1024 < len(body) < 10 * 1024 * 1024
    r = await client.post(f"/api/v1/projects/{p.id}/import", content=body, headers=csv_h)
    assert r.status_code == 200, r.text[:300]
    assert r.json()["created"] == 30

    big = b"title\n" + b"x" * (10 * 1024 * 1024)
    r = await client.post(f"/api/v1/projects/{p.id}/import", content=big, headers=csv_h)
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("application/problem+json")

    # every other route keeps the ordinary 1 MiB, with or without a Content-Length
    task = b'{"title": "' + b"x" * 1_100_000 + b'"}'
    json_h = {**ann.h, "Content-Type": "application/json"}
    r = await client.post(f"/api/v1/projects/{p.id}/tasks", content=task, headers=json_h)
    assert r.status_code == 413
    assert r.json()["code"] == "payload_too_large"
    assert r.headers.get("x-request-id")

    async def chunks():
        for i in range(0, len(task), 65536):
            yield task[i : i + 65536]

    r = await client.post(f"/api/v1/projects/{p.id}/tasks", content=chunks(), headers=json_h)
    assert r.status_code == 413
    assert r.json()["code"] == "payload_too_large"
    r = await client.get(f"/api/v1/projects/{p.id}/tasks", headers=ann.h)
    assert len(r.json()["items"]) == 30


async def test_export_streams_batches_in_order(app, client, make_user, make_project, monkeypatch):
    """The export is read from a server-side cursor a batch at a time; the batches join up."""
    from taskflow.tasks.tasks import transfer

    monkeypatch.setattr(transfer, "EXPORT_BATCH", 3)
    ann = await make_user()
    p = await make_project(ann, key="STR")
    empty = await client.get(f"/api/v1/projects/{p.id}/export", headers=ann.h)
    assert (empty.status_code, empty.json()) == (200, [])
    r = await client.get(f"/api/v1/projects/{p.id}/export?format=csv", headers=ann.h)
    assert r.text.splitlines()[0].startswith("key,title,")
    assert len(r.text.splitlines()) == 1
    body = "title\n" + "".join(f"t{i}\n" for i in range(8))
    r = await client.post(
        f"/api/v1/projects/{p.id}/import",
        content=body.encode(),
        headers={**ann.h, "Content-Type": "text/csv"},
    )
    assert r.json()["created"] == 8
    gone = r.json()["rows"][4]["task_id"]
    assert (await client.delete(f"/api/v1/tasks/{gone}", headers=ann.h)).status_code == 204
    keys = [f"STR-{n}" for n in (1, 2, 3, 4, 6, 7, 8)]
    r = await client.get(f"/api/v1/projects/{p.id}/export", headers=ann.h)
    assert [t["key"] for t in r.json()] == keys
    r = await client.get(f"/api/v1/projects/{p.id}/export?format=csv", headers=ann.h)
    assert [row["key"] for row in csv.DictReader(io.StringIO(r.text))] == keys
    # one chunk per batch of 3 (memory is one batch, not the project)
    sessions, pid = app.state.db.sessionmaker, uuid.UUID(p.id)
    chunks = [c async for c in transfer.export_json(sessions, pid)]
    assert len(chunks) == 1 + 3 + 1  # "[", 3 + 3 + 1 tasks, "]"
    chunks = [c async for c in transfer.export_csv(sessions, pid)]
    assert len(chunks) == 1 + 3


async def test_bulk_move_is_a_board_move_inside_the_project(
    client, make_user, make_project, outbox
):
    """`move` changes column (status), order (position) and milestone, never the project."""
    ann = await make_user()
    p, q = await make_project(ann), await make_project(ann)
    ms = (
        await client.post(f"/api/v1/projects/{p.id}/milestones", json={"title": "M"}, headers=ann.h)
    ).json()
    other = (
        await client.post(f"/api/v1/projects/{q.id}/milestones", json={"title": "X"}, headers=ann.h)
    ).json()
    a, b = await p.task(title="a"), await p.task(title="b")
    ops = [
        {
            "op": "move",
            "task_id": a["id"],
            "version": 1,
            "status": "done",
            "milestone_id": ms["id"],
        },
        {"op": "move", "task_id": b["id"], "version": 1, "position": -1.0},
    ]
    r = await client.post("/api/v1/tasks/bulk", json={"operations": ops}, headers=ann.h)
    assert r.status_code == 200, r.text
    got = (await client.get(f"/api/v1/tasks/{a['id']}", headers=ann.h)).json()
    assert (got["status"], got["milestone_id"], got["project_id"]) == ("done", ms["id"], p.id)
    assert got["completed_at"] is not None
    assert [t for t, _ in await outbox() if t.startswith("task.")][-4:] == [
        "task.updated",
        "task.status_changed",
        "task.completed",
        "task.updated",
    ]
    r = await client.get(
        f"/api/v1/projects/{p.id}/tasks", params={"sort": "position"}, headers=ann.h
    )
    assert [t["title"] for t in r.json()["items"]] == ["b", "a"]
    # a milestone of another project is refused, naming the field; nothing changes
    ops = [
        {"op": "move", "task_id": b["id"], "version": 2, "status": "blocked"},
        {"op": "move", "task_id": a["id"], "milestone_id": other["id"]},
    ]
    r = await client.post("/api/v1/tasks/bulk", json={"operations": ops}, headers=ann.h)
    assert r.status_code == 409
    assert r.json()["results"][1]["errors"][0]["loc"] == ["body", "milestone_id"]
    assert (await client.get(f"/api/v1/tasks/{b['id']}", headers=ann.h)).json()["version"] == 2
    # a move that moves nothing, or names a project, is a bad request
    for op in (
        {"op": "move", "task_id": a["id"]},
        {"op": "move", "task_id": a["id"], "project_id": q.id},
    ):
        r = await client.post("/api/v1/tasks/bulk", json={"operations": [op]}, headers=ann.h)
        assert r.status_code == 422
