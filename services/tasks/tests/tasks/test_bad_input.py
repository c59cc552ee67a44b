"""Input PostgreSQL would refuse is a 4xx naming the field, never a 500, and changes nothing."""

from __future__ import annotations

import json


async def _count(sql, project_id) -> int:
    return (await sql("SELECT count(*) FROM tasks.tasks WHERE project_id = :p", p=project_id))[0][0]


async def test_nul_in_a_json_string_is_422_naming_the_field(client, make_user, make_project, sql):
    ann = await make_user()
    p = await make_project(ann)
    for body, loc in [
        ({"title": "water\u0000plants"}, ["body", "title"]),
        ({"title": "ok", "description": "\u0000"}, ["body", "description"]),
    ]:
        r = await client.post(
            f"/api/v1/projects/{p.id}/tasks",
            content=json.dumps(body).encode(),
            headers={**ann.h, "Content-Type": "application/json"},
        )
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert [e["loc"] for e in r.json()["errors"]] == [loc]
    assert await _count(sql, p.id) == 0
    r = await client.get("/api/v1/tasks", params={"q": "pl\u0000nts"}, headers=ann.h)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["loc"] == ["query", "q"]


async def test_json_route_sent_a_form_is_415(client, make_user, make_project, sql):
    ann = await make_user()
    p = await make_project(ann)
    r = await client.post(
        f"/api/v1/projects/{p.id}/tasks",
        content=b"title=hello",
        headers={**ann.h, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 415, r.text
    assert r.json()["code"] == "unsupported_media_type"
    assert await _count(sql, p.id) == 0


async def test_csv_import_bad_fields_are_422_and_import_nothing(
    client, make_user, make_project, sql
):
    ann = await make_user()
    p = await make_project(ann)
    csv_h = {**ann.h, "Content-Type": "text/csv"}
    over_limit = "title,description\nfirst,short\nsecond," + "d" * 200_000 + "\n"  # csv: 131072
    r = await client.post(
        f"/api/v1/projects/{p.id}/import", content=over_limit.encode(), headers=csv_h
    )
    assert r.status_code == 422, r.text[:300]
    assert r.json()["errors"][0]["loc"] == ["body", 3]
    assert r.json()["errors"][0]["type"] == "csv_syntax"
    with_nul = "title\nfine\nbro\u0000ken\n"
    r = await client.post(
        f"/api/v1/projects/{p.id}/import", content=with_nul.encode(), headers=csv_h
    )
    assert r.status_code == 422, r.text[:300]
    assert r.json()["errors"][0]["loc"] == ["body", 3]
    assert await _count(sql, p.id) == 0
