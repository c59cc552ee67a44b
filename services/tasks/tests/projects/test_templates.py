"""A project created from another project as a template."""

from __future__ import annotations

from typing import Any


async def _statuses(client: Any, project_id: str, who: Any) -> list[dict[str, Any]]:
    r = await client.get(f"/api/v1/projects/{project_id}/statuses", headers=who.h)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


async def _template(client: Any, make_project: Any, owner: Any) -> tuple[Any, dict[str, str]]:
    """A project with a customised workflow, labels, milestones and a few tasks."""
    tpl = await make_project(owner, key="TPL")
    r = await client.post(
        f"/api/v1/projects/{tpl.id}/statuses",
        json={"name": "review", "category": "in_progress", "colour": "#123456", "wip_limit": 2},
        headers=owner.h,
    )
    assert r.status_code == 201, r.text
    ids: dict[str, str] = {}
    r = await client.post(
        f"/api/v1/projects/{tpl.id}/labels",
        json={"name": "infra", "colour": "#00ff00"},
        headers=owner.h,
    )
    ids["label"] = r.json()["id"]
    r = await client.post(
        f"/api/v1/projects/{tpl.id}/milestones",
        json={"title": "Launch", "due_date": "2027-01-31"},
        headers=owner.h,
    )
    ids["milestone"] = r.json()["id"]
    return tpl, ids


async def test_template_copies_workflow_labels_milestones_and_tasks(
    client, make_user, make_project, outbox
):
    ann, bob = await make_user(), await make_user()
    tpl, ids = await _template(client, make_project, ann)
    await tpl.add(bob, "viewer")  # reading the template is enough
    parent = await tpl.task(
        title="Set up",
        status="review",
        label_ids=[ids["label"]],
        milestone_id=ids["milestone"],
        assignee_ids=[str(ann.id)],
    )
    await tpl.task(title="Step", parent_id=parent["id"], status="done")
    trashed = await tpl.task(title="gone")
    await client.delete(f"/api/v1/tasks/{trashed['id']}", headers=ann.h)

    r = await client.post(
        "/api/v1/projects",
        json={"key": "NEW", "name": "New", "template_project_id": tpl.id, "include_tasks": True},
        headers=bob.h,
    )
    assert r.status_code == 201, r.text
    new = r.json()
    assert (new["role"], new["tasks_total"], new["tasks_done"]) == ("owner", 2, 1)
    old_wf = await _statuses(client, tpl.id, ann)
    new_wf = await _statuses(client, new["id"], bob)
    shape = ("name", "category", "colour", "position", "wip_limit")
    assert [[s[k] for k in shape] for s in new_wf] == [[s[k] for k in shape] for s in old_wf]
    assert {s["id"] for s in new_wf}.isdisjoint({s["id"] for s in old_wf})
    r = await client.get(f"/api/v1/projects/{new['id']}/labels", headers=bob.h)
    (label,) = r.json()["items"]
    assert (label["name"], label["id"] != ids["label"]) == ("infra", True)
    r = await client.get(f"/api/v1/projects/{new['id']}/milestones", headers=bob.h)
    (milestone,) = r.json()["items"]
    assert (milestone["title"], milestone["due_date"]) == ("Launch", "2027-01-31")
    r = await client.get(f"/api/v1/projects/{new['id']}/tasks?sort=created_at", headers=bob.h)
    tasks = r.json()["items"]
    assert [(t["key"], t["title"], t["status"]) for t in tasks] == [
        ("NEW-1", "Set up", "review"),
        ("NEW-2", "Step", "done"),
    ]
    assert tasks[0]["label_ids"] == [label["id"]]
    assert tasks[0]["milestone_id"] == milestone["id"]
    assert tasks[0]["assignee_ids"] == []  # ann is not a member of the new project
    assert tasks[1]["parent_id"] == tasks[0]["id"]
    # Events as for an ordinary creation, then the copies.
    types = [
        t
        for t, d in await outbox()
        if d.get("project_id", d.get("task", {}).get("project_id")) == new["id"]
    ]
    assert types[:2] == ["project.created", "project.member_added"]
    assert types.count("milestone.created") == 1
    assert types.count("task.created") == 2
    # The template is untouched.
    r = await client.get(f"/api/v1/projects/{tpl.id}", headers=ann.h)
    assert r.json()["tasks_total"] == 2


async def test_template_without_tasks_and_the_wrong_users(
    client, make_user, make_project, outbox, sql
):
    ann, eve = await make_user(), await make_user()
    tpl, _ = await _template(client, make_project, ann)
    await tpl.task(title="not copied")
    r = await client.post(
        "/api/v1/projects",
        json={"key": "BARE", "name": "Bare", "template_project_id": tpl.id},
        headers=ann.h,
    )
    assert r.status_code == 201, r.text
    assert r.json()["tasks_total"] == 0
    assert len(await _statuses(client, r.json()["id"], ann)) == 6
    projects_before = await sql("SELECT count(*) FROM tasks.projects")
    # A stranger to the template: the same answer as for no such project; nothing is made.
    for template in (tpl.id, "0190a000-0000-7000-8000-000000000099"):
        r = await client.post(
            "/api/v1/projects",
            json={"key": "STEAL", "name": "x", "template_project_id": template},
            headers=eve.h,
        )
        assert (r.status_code, r.json()["code"]) == (422, "unknown_project")
        assert r.json()["errors"][0]["loc"] == ["body", "template_project_id"]
        assert r.headers["content-type"].startswith("application/problem+json")
    r = await client.post(
        "/api/v1/projects",
        json={"key": "HALF", "name": "x", "include_tasks": True},
        headers=ann.h,
    )
    assert r.status_code == 422
    # A taken key is refused before anything is copied.
    r = await client.post(
        "/api/v1/projects",
        json={"key": "TPL", "name": "x", "template_project_id": tpl.id},
        headers=ann.h,
    )
    assert (r.status_code, r.json()["code"]) == (409, "duplicate_key")
    assert await sql("SELECT count(*) FROM tasks.projects") == projects_before
