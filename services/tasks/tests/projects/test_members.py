"""Project members over HTTP: adding through auth's directory, leaving, removing, the last owner."""

from __future__ import annotations

import uuid


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
