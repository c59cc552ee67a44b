"""Subscriptions through the api: validation, secrets shown once, and who may do what."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI

from taskflow.tasks.main import build_app

URL = "https://hooks.example.com/taskflow"


async def _hook(client, project, who=None, **body):
    body = {"url": URL, "event_types": ["task.*"], **body}
    return await client.post(
        f"/api/v1/projects/{project.id}/webhooks", json=body, headers=(who or project.owner).h
    )


async def test_create_shows_the_secret_once_and_never_again(client, make_user, make_project, sql):
    ann = await make_user()
    p = await make_project(ann)
    r = await _hook(client, p, description="chat", event_types=["task.*", "comment.added"])
    assert r.status_code == 201, r.text
    hook = r.json()
    assert hook["secret"].startswith("whsec_")
    assert len(hook["secret"]) > 40
    assert hook["event_types"] == ["task.*", "comment.added"]
    assert hook["active"] is True
    assert r.headers["location"] == f"/api/v1/webhooks/{hook['id']}"
    got = await client.get(f"/api/v1/webhooks/{hook['id']}", headers=ann.h)
    listed = await client.get(f"/api/v1/projects/{p.id}/webhooks", headers=ann.h)
    assert got.status_code == 200
    assert listed.status_code == 200
    assert hook["secret"] not in got.text
    assert hook["secret"] not in listed.text
    assert "secret" not in got.json()
    assert [h["id"] for h in listed.json()["items"]] == [hook["id"]]
    stored = await sql("SELECT secret FROM tasks.webhooks WHERE id = :i", i=uuid.UUID(hook["id"]))
    assert stored[0][0] == hook["secret"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://example.com/x"}, "url"),
        ({"url": "https://user:pw@example.com/x"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"event_types": ["task.exploded"]}, "event_types"),
        ({"event_types": ["user.*"]}, "event_types"),
        ({"event_types": []}, "event_types"),
        ({"description": "x" * 501}, "description"),
    ],
)
async def test_bad_input_is_a_422_naming_the_field_and_changes_nothing(
    client, make_user, make_project, sql, body, field
):
    ann = await make_user()
    p = await make_project(ann)
    r = await _hook(client, p, **body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert any(field in e["loc"] for e in r.json()["errors"])
    assert (await sql("SELECT count(*) FROM tasks.webhooks"))[0][0] == 0


async def test_production_requires_https_and_refuses_private_literals(
    settings, key_source, make_user, make_project, client
):
    ann = await make_user()
    p = await make_project(ann)
    prod: FastAPI = build_app(
        settings.model_copy(update={"environment": "production"}), key_source=key_source
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=prod), base_url="http://test"
    ) as c:
        for url in ("http://hooks.example.com/x", "https://10.1.2.3/x", "https://[::1]/x"):
            r = await c.post(
                f"/api/v1/projects/{p.id}/webhooks",
                json={"url": url, "event_types": ["*"]},
                headers=ann.h,
            )
            assert r.status_code == 422, (url, r.text)
            assert r.json()["errors"][0]["loc"] == ["body", "url"]
        ok = await c.post(
            f"/api/v1/projects/{p.id}/webhooks",
            json={"url": URL, "event_types": ["*"]},
            headers=ann.h,
        )
        assert ok.status_code == 201, ok.text


async def test_update_with_if_match_and_reactivation_clears_the_streak(
    client, make_user, make_project, sql
):
    ann = await make_user()
    p = await make_project(ann)
    hook = (await _hook(client, p)).json()
    await sql(
        "UPDATE tasks.webhooks SET active = false, disabled_reason = 'failing',"
        " failing_since = now() WHERE id = :i",
        i=uuid.UUID(hook["id"]),
    )
    stale = await client.patch(
        f"/api/v1/webhooks/{hook['id']}",
        json={"active": True},
        headers={**ann.h, "If-Match": '"9"'},
    )
    assert stale.status_code == 412
    r = await client.patch(
        f"/api/v1/webhooks/{hook['id']}",
        json={"active": True, "event_types": ["comment.*", "comment.*"], "description": "ci"},
        headers={**ann.h, "If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["active"] is True
    assert body["disabled_reason"] is None
    assert body["failing_since"] is None
    assert body["event_types"] == ["comment.*"]
    assert body["version"] == 2
    assert r.headers["etag"] == '"2"'
    assert "secret" not in body


async def test_rotation_returns_the_new_secret_once(client, make_user, make_project, sql):
    ann = await make_user()
    p = await make_project(ann)
    hook = (await _hook(client, p)).json()
    r = await client.post(f"/api/v1/webhooks/{hook['id']}/rotate-secret", headers=ann.h)
    assert r.status_code == 200, r.text
    new = r.json()["secret"]
    assert new.startswith("whsec_")
    assert new != hook["secret"]
    row = (
        await sql(
            "SELECT secret, previous_secret, previous_expires_at - now() FROM tasks.webhooks"
            " WHERE id = :i",
            i=uuid.UUID(hook["id"]),
        )
    )[0]
    assert row[0] == new
    assert row[1] == hook["secret"]
    assert 23.9 * 3600 < row[2].total_seconds() <= 24 * 3600
    got = (await client.get(f"/api/v1/webhooks/{hook['id']}", headers=ann.h)).json()
    assert got["previous_secret_expires_at"] is not None
    assert new not in str(got)


async def test_delete_removes_the_hook(client, make_user, make_project):
    ann = await make_user()
    p = await make_project(ann)
    hook = (await _hook(client, p)).json()
    r = await client.delete(f"/api/v1/webhooks/{hook['id']}", headers=ann.h)
    assert r.status_code == 204
    assert (await client.get(f"/api/v1/webhooks/{hook['id']}", headers=ann.h)).status_code == 404


@pytest.mark.parametrize("role", ["member", "viewer"])
async def test_members_below_admin_cannot_see_or_change_hooks(
    client, make_user, make_project, sql, role
):
    ann, bob = await make_user(), await make_user()
    p = await make_project(ann)
    await p.add(bob, role)
    hook = (await _hook(client, p)).json()
    hid = hook["id"]
    calls = [
        ("GET", f"/api/v1/projects/{p.id}/webhooks", None),
        ("POST", f"/api/v1/projects/{p.id}/webhooks", {"url": URL, "event_types": ["*"]}),
        ("GET", f"/api/v1/webhooks/{hid}", None),
        ("PATCH", f"/api/v1/webhooks/{hid}", {"url": "https://evil.example.com/"}),
        ("DELETE", f"/api/v1/webhooks/{hid}", None),
        ("POST", f"/api/v1/webhooks/{hid}/rotate-secret", None),
        ("POST", f"/api/v1/webhooks/{hid}/ping", None),
        ("GET", f"/api/v1/webhooks/{hid}/deliveries", None),
        ("GET", f"/api/v1/webhooks/{hid}/attempts", None),
        ("POST", f"/api/v1/webhooks/{hid}/redeliver-failed", {"since": "2026-01-01T00:00:00Z"}),
        ("POST", f"/api/v1/webhooks/{hid}/deliveries/{uuid.uuid4()}/redeliver", None),
    ]
    for method, url, body in calls:
        r = await client.request(method, url, json=body, headers=bob.h)
        assert r.status_code == 403, (method, url, r.status_code)
        assert hook["secret"] not in r.text
        assert URL not in r.text
    rows = await sql("SELECT url, secret, version FROM tasks.webhooks")
    assert rows == [(URL, hook["secret"], 1)]
    assert (await sql("SELECT count(*) FROM tasks.webhook_deliveries"))[0][0] == 0


async def test_project_admins_may_manage_hooks(client, make_user, make_project):
    ann, cat = await make_user(), await make_user()
    p = await make_project(ann)
    await p.add(cat, "admin")
    r = await _hook(client, p, who=cat)
    assert r.status_code == 201
    assert (
        await client.get(f"/api/v1/webhooks/{r.json()['id']}", headers=ann.h)
    ).status_code == 200


async def test_non_members_get_404_for_everything(client, make_user, make_project, sql):
    ann, eve = await make_user(), await make_user()
    p = await make_project(ann)
    hook = (await _hook(client, p)).json()
    hid = hook["id"]
    calls = [
        ("GET", f"/api/v1/projects/{p.id}/webhooks", None),
        ("POST", f"/api/v1/projects/{p.id}/webhooks", {"url": URL, "event_types": ["*"]}),
        ("GET", f"/api/v1/webhooks/{hid}", None),
        ("PATCH", f"/api/v1/webhooks/{hid}", {"description": "x"}),
        ("DELETE", f"/api/v1/webhooks/{hid}", None),
        ("POST", f"/api/v1/webhooks/{hid}/rotate-secret", None),
        ("POST", f"/api/v1/webhooks/{hid}/ping", None),
        ("GET", f"/api/v1/webhooks/{hid}/attempts", None),
        ("GET", f"/api/v1/webhooks/{hid}/deliveries", None),
        ("POST", f"/api/v1/webhooks/{hid}/deliveries/{uuid.uuid4()}/redeliver", None),
        ("POST", f"/api/v1/webhooks/{hid}/redeliver-failed", {"since": "2026-01-01T00:00:00Z"}),
        ("GET", f"/api/v1/webhooks/{uuid.uuid4()}", None),
    ]
    for method, url, body in calls:
        r = await client.request(method, url, json=body, headers=eve.h)
        assert r.status_code == 404, (method, url, r.status_code)
    assert (await sql("SELECT count(*), max(version) FROM tasks.webhooks"))[0] == (1, 1)


async def test_a_new_url_ends_the_failure_streak_but_not_a_disablement(
    client, make_user, make_project, sql
):
    ann = await make_user()
    p = await make_project(ann)
    hook = (await _hook(client, p)).json()
    await sql(
        "UPDATE tasks.webhooks SET active = false, disabled_reason = 'failing',"
        " failing_since = now() WHERE id = :i",
        i=uuid.UUID(hook["id"]),
    )
    r = await client.patch(
        f"/api/v1/webhooks/{hook['id']}", json={"url": URL + "/v2"}, headers=ann.h
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["url"] == URL + "/v2"
    assert body["failing_since"] is None
    assert body["active"] is False
    assert body["disabled_reason"] == "failing"


async def test_a_metadata_address_is_refused_even_where_private_targets_are_allowed(
    client, make_user, make_project, sql, settings
):
    """The test deployment allows private targets (a receiver on loopback), never the cloud's
    metadata service."""
    assert settings.webhooks_private_allowed
    ann = await make_user()
    p = await make_project(ann)
    for url in ("http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/"):
        r = await _hook(client, p, url=url)
        assert r.status_code == 422, (url, r.text)
        assert r.json()["errors"][0]["loc"] == ["body", "url"]
    assert (await _hook(client, p, url="http://10.1.2.3/hook")).status_code == 201
    assert (await sql("SELECT count(*) FROM tasks.webhooks"))[0][0] == 1
