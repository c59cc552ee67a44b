"""Lists with filters, keyset pagination and full-text search."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from taskflow.common.pagination import decode_cursor


async def test_search_ranks_title_above_description_and_hides_deleted(
    client, make_user, make_project
):
    ann = await make_user()
    p = await make_project(ann)
    in_desc = await p.task(title="Quarterly report", description="rotate the firewall keys")
    in_title = await p.task(title="Firewall rules review", description="nothing else")
    gone = await p.task(title="Firewall cleanup")
    await client.delete(f"/api/v1/tasks/{gone['id']}", headers=ann.h)
    await p.task(title="Unrelated")
    r = await client.get(f"/api/v1/projects/{p.id}/tasks", params={"q": "firewall"}, headers=ann.h)
    ids = [t["id"] for t in r.json()["items"]]
    assert ids == [in_title["id"], in_desc["id"]]
    assert r.json()["items"][0]["rank"] > r.json()["items"][1]["rank"]
    # search-as-you-type: an unfinished last word matches as a prefix
    r = await client.get("/api/v1/tasks", params={"q": "firew"}, headers=ann.h)
    assert {t["id"] for t in r.json()["items"]} == {in_title["id"], in_desc["id"]}
    r = await client.get("/api/v1/tasks", params={"q": "rules revi"}, headers=ann.h)
    assert [t["id"] for t in r.json()["items"]] == [in_title["id"]]
    # websearch syntax, and tsquery syntax in the box is harmless
    r = await client.get("/api/v1/tasks", params={"q": "firewall -rules"}, headers=ann.h)
    assert [t["id"] for t in r.json()["items"]] == [in_desc["id"]]
    r = await client.get("/api/v1/tasks", params={"q": "a:* & ! | ("}, headers=ann.h)
    assert r.status_code == 200


async def test_search_never_crosses_projects(client, make_user, make_project):
    ann, bob = await make_user(), await make_user()
    mine, theirs = await make_project(ann), await make_project(bob)
    await theirs.task(title="payroll secret")
    own = await mine.task(title="payroll public")
    r = await client.get("/api/v1/tasks", params={"q": "payroll"}, headers=ann.h)
    assert [t["id"] for t in r.json()["items"]] == [own["id"]]


async def test_filters(client, make_user, make_project):
    ann, bob = await make_user(), await make_user()
    p = await make_project(ann)
    await p.add(bob, "member")
    now = datetime.now(UTC)
    lb = (
        await client.post(f"/api/v1/projects/{p.id}/labels", json={"name": "x"}, headers=ann.h)
    ).json()
    overdue = await p.task(
        title="late", due_at=(now - timedelta(days=1)).isoformat(), assignee_ids=[str(ann.id)]
    )
    done_late = await p.task(
        title="done late", due_at=(now - timedelta(days=1)).isoformat(), status="done"
    )
    future = await p.task(
        title="future",
        due_at=(now + timedelta(days=3)).isoformat(),
        priority="urgent",
        label_ids=[lb["id"]],
        assignee_ids=[str(bob.id)],
    )
    child = await p.task(title="child", parent_id=future["id"], recurrence={"rrule": "FREQ=WEEKLY"})

    async def ids(**params):
        r = await client.get(f"/api/v1/projects/{p.id}/tasks", params=params, headers=ann.h)
        assert r.status_code == 200, r.text
        return {t["id"] for t in r.json()["items"]}

    assert await ids(overdue="true") == {overdue["id"]}
    assert await ids(status=["done"]) == {done_late["id"]}
    assert await ids(priority="urgent") == {future["id"]}
    assert await ids(assignee="me") == {overdue["id"]}
    assert await ids(assignee=str(bob.id)) == {future["id"]}
    assert await ids(assignee="none") == {done_late["id"], child["id"]}
    assert await ids(label=lb["id"]) == {future["id"]}
    assert await ids(parent=future["id"]) == {child["id"]}
    assert await ids(parent="none") == {overdue["id"], done_late["id"], future["id"]}
    assert await ids(recurring="true") == {child["id"]}
    assert await ids(due_after=now.isoformat()) == {future["id"]}
    assert await ids(due_before=now.isoformat()) == {overdue["id"], done_late["id"]}
    assert await ids(created_after=(now + timedelta(days=1)).isoformat()) == set()
    r = await client.get(
        f"/api/v1/projects/{p.id}/tasks", params={"assignee": "bogus"}, headers=ann.h
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["query", "assignee"]
    r = await client.get(f"/api/v1/projects/{p.id}/tasks", params={"sort": "rank"}, headers=ann.h)
    assert r.status_code == 422


async def test_keyset_pagination_over_every_sort(client, make_user, make_project):
    ann = await make_user()
    p = await make_project(ann)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(9):
        due = None if i % 3 == 0 else (base + timedelta(days=i % 4)).isoformat()
        await p.task(title=f"t{i}", due_at=due, priority=["none", "low", "high"][i % 3])
    for sort in [
        "due_at",
        "-due_at",
        "priority",
        "-priority",
        "created_at",
        "-created_at",
        "position",
    ]:
        seen, cursor = [], None
        while True:
            params = {"sort": sort, "limit": 2, **({"cursor": cursor} if cursor else {})}
            r = await client.get(f"/api/v1/projects/{p.id}/tasks", params=params, headers=ann.h)
            assert r.status_code == 200, r.text
            seen += r.json()["items"]
            cursor = r.json()["next_cursor"]
            if not cursor:
                break
            last = r.json()["items"][-1]  # the cursor: sort name, sort value, id
            assert decode_cursor(cursor)[0::2] == [sort, uuid.UUID(last["id"])]
        assert len({t["id"] for t in seen}) == 9, sort
        field = sort.lstrip("-")
        if field == "due_at":
            dues = [t["due_at"] for t in seen]
            assert dues[-3:] == [None, None, None]  # nulls last in both directions
            present = dues[:-3]
            assert present == sorted(present, reverse=sort.startswith("-"))
    r = await client.get(
        f"/api/v1/projects/{p.id}/tasks", params={"cursor": "garbage"}, headers=ann.h
    )
    assert r.status_code == 422
    assert r.json()["code"] == "invalid_cursor"


async def test_saved_views(client, make_user, make_project):
    ann, bob = await make_user(), await make_user()
    p = await make_project(ann)
    r = await client.post(
        "/api/v1/views",
        json={
            "name": "Mine",
            "project_id": p.id,
            "filters": {"assignee": "me", "status": ["todo"]},
        },
        headers=ann.h,
    )
    assert r.status_code == 201, r.text
    view = r.json()
    assert view["filters"]["assignee"] == "me"
    assert (
        await client.post("/api/v1/views", json={"name": "Mine"}, headers=ann.h)
    ).status_code == 409
    r = await client.post("/api/v1/views", json={"name": "x", "project_id": p.id}, headers=bob.h)
    assert r.status_code == 404
    assert (
        await client.patch(f"/api/v1/views/{view['id']}", json={"name": "Z"}, headers=bob.h)
    ).status_code == 404
    r = await client.patch(
        f"/api/v1/views/{view['id']}", json={"filters": {"overdue": True}}, headers=ann.h
    )
    assert r.json()["filters"]["overdue"] is True
    r = await client.post(
        "/api/v1/views", json={"name": "bad", "filters": {"assignee": "nobody"}}, headers=ann.h
    )
    assert r.status_code == 422
    assert [
        v["name"] for v in (await client.get("/api/v1/views", headers=ann.h)).json()["items"]
    ] == ["Mine"]
    assert (await client.delete(f"/api/v1/views/{view['id']}", headers=ann.h)).status_code == 204


async def test_search_finds_comments_and_label_names_title_first_members_only(
    client, make_user, make_project
):
    """Label names and live comment bodies are searched too (kept in step by triggers on
    comment add/edit/delete, label rename and label changes), ranked below a title match, and
    never shown to someone outside the project."""
    ann, eve = await make_user(), await make_user()
    p = await make_project(ann)
    other = await make_project(eve)
    theirs = await other.task(title="Zeppelin of somebody else")
    by_comment = await p.task(title="Quarterly report")
    r = await client.post(
        f"/api/v1/tasks/{by_comment['id']}/comments",
        json={"body": "the zeppelin lands at noon; zeppelin crew ready, zeppelin fuelled"},
        headers=ann.h,
    )
    assert r.status_code == 201, r.text
    comment = r.json()
    label = (
        await client.post(f"/api/v1/projects/{p.id}/labels", json={"name": "Walrus"}, headers=ann.h)
    ).json()
    by_label = await p.task(title="Plain", label_ids=[label["id"]])
    in_title = await p.task(title="Zeppelin hangar")

    async def found(q: str, who=ann) -> list[str]:
        r = await client.get("/api/v1/tasks", params={"q": q}, headers=who.h)
        assert r.status_code == 200, r.text
        return [t["id"] for t in r.json()["items"]]

    assert await found("zeppelin") == [in_title["id"], by_comment["id"]]
    assert await found("walrus") == [by_label["id"]]
    r = await client.get(
        f"/api/v1/projects/{p.id}/tasks", params={"q": "zeppelin", "sort": "rank"}, headers=ann.h
    )
    assert [t["id"] for t in r.json()["items"]] == [in_title["id"], by_comment["id"]]
    # A non-member finds only their own project's task, never ours.
    assert await found("zeppelin", eve) == [theirs["id"]]
    assert await found("walrus", eve) == []
    # Editing the comment, renaming the label and taking a label off follow at once.
    r = await client.patch(
        f"/api/v1/comments/{comment['id']}",
        json={"body": "now about an albatross"},
        headers={**ann.h, "If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    assert await found("zeppelin") == [in_title["id"]]
    assert await found("albatross") == [by_comment["id"]]
    r = await client.patch(f"/api/v1/labels/{label['id']}", json={"name": "Narwhal"}, headers=ann.h)
    assert r.status_code == 200, r.text
    assert await found("walrus") == []
    assert await found("narwhal") == [by_label["id"]]
    await client.patch(
        f"/api/v1/tasks/{in_title['id']}",
        json={"label_ids": [label["id"]]},
        headers={**ann.h, "If-Match": '"1"'},
    )
    assert set(await found("narwhal")) == {by_label["id"], in_title["id"]}
    # A deleted comment is no longer searched.
    r = await client.delete(f"/api/v1/comments/{comment['id']}", headers=ann.h)
    assert r.status_code == 204, r.text
    assert await found("albatross") == []
    # Deleting the label strips it from its tasks and from their search.
    r = await client.delete(f"/api/v1/labels/{label['id']}", headers=ann.h)
    assert r.status_code == 204, r.text
    assert await found("narwhal") == []
