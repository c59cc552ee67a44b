"""Comments with @mentions, author-only edits and ETags."""

from __future__ import annotations


async def test_comment_mentions_members_only(client, make_user, make_project, outbox):
    ann, bob, _eve = await make_user("ann"), await make_user("bob"), await make_user("eve")
    p = await make_project(ann, key="COM")
    await p.add(bob, "member")
    t = await p.task(title="Fix it")
    body = f"@bob please look, and @eve too; cc @{ann.id} and @bob@example.com. mail me@x.org"
    r = await client.post(f"/api/v1/tasks/{t['id']}/comments", json={"body": body}, headers=ann.h)
    assert r.status_code == 201, r.text
    c = r.json()
    assert c["mention_ids"] == [str(bob.id), str(ann.id)]
    ((_, ev),) = await outbox("comment.added")
    assert ev["mentions"] == [str(bob.id), str(ann.id)]
    assert ev["task_key"] == "COM-1"
    assert ev["task_title"] == "Fix it"
    r = await client.get(f"/api/v1/tasks/{t['id']}/comments", headers=bob.h)
    assert [x["id"] for x in r.json()["items"]] == [c["id"]]


async def test_only_author_edits_admin_deletes(client, make_user, make_project, outbox):
    ann, bob, vic = await make_user(), await make_user(), await make_user()
    p = await make_project(ann)
    await p.add(bob, "member")
    await p.add(vic, "viewer")
    t = await p.task()
    c = (
        await client.post(f"/api/v1/tasks/{t['id']}/comments", json={"body": "hi"}, headers=bob.h)
    ).json()
    url = f"/api/v1/comments/{c['id']}"
    assert (await client.patch(url, json={"body": "x"}, headers=ann.h)).status_code == 403
    assert (await client.patch(url, json={"body": "x"}, headers=vic.h)).status_code == 403
    r = await client.patch(url, json={"body": "edited"}, headers={**bob.h, "If-Match": '"1"'})
    assert r.status_code == 200
    assert r.json()["version"] == 2
    assert r.json()["edited_at"]
    r = await client.patch(url, json={"body": "again"}, headers={**bob.h, "If-Match": '"1"'})
    assert r.status_code == 412
    assert (await client.delete(url, headers=vic.h)).status_code == 403
    assert (await client.delete(url, headers=ann.h)).status_code == 204
    assert (await client.get(f"/api/v1/tasks/{t['id']}/comments", headers=ann.h)).json()[
        "items"
    ] == []
    assert [t for t, _ in await outbox() if t.startswith("comment.")] == [
        "comment.added",
        "comment.edited",
        "comment.deleted",
    ]


async def test_retried_comment_with_idempotency_key_posts_once(
    client, make_user, make_project, sql
):
    ann = await make_user()
    p = await make_project(ann)
    t = await p.task()
    h = {**ann.h, "Idempotency-Key": "c-1"}
    url = f"/api/v1/tasks/{t['id']}/comments"
    r1 = await client.post(url, json={"body": "once"}, headers=h)
    r2 = await client.post(url, json={"body": "once"}, headers=h)
    assert r1.status_code == r2.status_code == 201
    assert r1.json()["id"] == r2.json()["id"]
    assert (await sql("SELECT count(*) FROM tasks.comments"))[0][0] == 1


async def test_description_mentions_on_create_and_update(client, make_user, make_project, outbox):
    """A description mentions like a comment: members only, never the actor, and an edit
    names only the people it newly mentions."""
    ann, bob, cat = await make_user("dann"), await make_user("dbob"), await make_user("dcat")
    await make_user("deve")
    p = await make_project(ann, key="DSC")
    await p.add(bob, "member")
    await p.add(cat, "member")
    r = await client.post(
        f"/api/v1/projects/{p.id}/tasks",
        json={"title": "Plan", "description": "@dbob and @deve, and me @dann"},
        headers=ann.h,
    )
    assert r.status_code == 201, r.text
    task = r.json()
    ((_, created),) = await outbox("task.created")
    assert created["mentions"] == [str(bob.id)]
    r = await client.patch(
        f"/api/v1/tasks/{task['id']}",
        json={"description": f"@dbob and @{cat.id}, and @deve"},
        headers={**bob.h, "If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    ((_, updated),) = await outbox("task.updated")
    assert updated["mentions"] == [str(cat.id)]
    r = await client.patch(
        f"/api/v1/tasks/{task['id']}",
        json={"title": "Plan B"},
        headers={**bob.h, "If-Match": '"2"'},
    )
    assert r.status_code == 200, r.text
    assert [e["mentions"] for _, e in await outbox("task.updated")] == [[str(cat.id)], []]
