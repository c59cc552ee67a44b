"""Retention policy and legal holds over HTTP (the api role writes only these tables)."""

from __future__ import annotations

import uuid
from typing import Any


async def test_retention_get_and_put_with_if_match(
    client: Any, auditor: dict[str, str], settings: Any
) -> None:
    r = await client.get("/api/v1/audit/retention", headers=auditor)
    assert r.json()["days"] == settings.retention_days
    assert (r.json()["source"], r.json()["floor_days"]) == ("default", 365)
    assert r.headers["etag"] == '"0"'
    r = await client.put(
        "/api/v1/audit/retention", json={"days": 400}, headers={**auditor, "If-Match": '"0"'}
    )
    assert r.status_code == 200, r.text
    assert (r.json()["days"], r.json()["version"], r.json()["source"]) == (400, 1, "policy")
    r = await client.put(
        "/api/v1/audit/retention", json={"days": 500}, headers={**auditor, "If-Match": '"0"'}
    )
    assert r.status_code == 412
    r = await client.put("/api/v1/audit/retention", json={"days": 0}, headers=auditor)
    assert r.status_code == 422
    r = await client.get("/api/v1/audit/retention", headers=auditor)
    assert r.json()["days"] == 400


async def test_legal_holds(client: Any, admin: dict[str, str]) -> None:
    project = uuid.uuid4()
    url = f"/api/v1/audit/legal-holds/{project}"
    r = await client.post(url, json={"reason": "litigation 2026-17"}, headers=admin)
    assert r.status_code == 201, r.text
    assert r.json()["reason"] == "litigation 2026-17"
    assert (await client.post(url, headers=admin)).status_code == 409
    r = await client.get("/api/v1/audit/legal-holds", headers=admin)
    assert [hold["project_id"] for hold in r.json()] == [str(project)]
    assert (await client.delete(url, headers=admin)).status_code == 204
    assert (await client.delete(url, headers=admin)).status_code == 404


async def test_admin_cannot_shorten_retention_below_the_floor(
    client: Any, admin: dict[str, str]
) -> None:
    """One day (under the hard floor) and 100 days (under the deployment's 365) are refused."""
    for days in (1, 89, 100, 364):
        r = await client.put("/api/v1/audit/retention", json={"days": days}, headers=admin)
        assert r.status_code == 422, (days, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert [e["loc"] for e in r.json()["errors"]] == [["body", "days"]]
    r = await client.get("/api/v1/audit/retention", headers=admin)
    assert (r.json()["days"], r.json()["version"], r.json()["source"]) == (2555, 0, "default")


async def test_policy_and_hold_changes_are_entries_of_a_verifiable_chain(
    client: Any, admin: dict[str, str], h: Any, owner_engine: Any
) -> None:
    """Who changed retention or a hold, from what to what, is in the log; the chain verifies."""
    from taskflow.audit.retention.changes import append_pending

    await h.seed(owner_engine, [h.item(i) for i in range(3)])
    admin_id = _subject(admin)
    r = await client.put("/api/v1/audit/retention", json={"days": 400}, headers=admin)
    assert r.status_code == 200, r.text
    r = await client.put("/api/v1/audit/retention", json={"days": 1}, headers=admin)
    assert r.status_code == 422  # refused: nothing recorded for it
    r = await client.put("/api/v1/audit/retention", json={"days": 730}, headers=admin)
    assert r.status_code == 200, r.text
    project = uuid.uuid4()
    hold = f"/api/v1/audit/legal-holds/{project}"
    assert (await client.post(hold, json={"reason": "case 17"}, headers=admin)).status_code == 201
    assert (await client.delete(hold, headers=admin)).status_code == 204

    assert await append_pending(owner_engine) == 4
    assert await append_pending(owner_engine) == 0  # appended once, then gone from the queue

    r = await client.get(
        "/api/v1/audit/events", params={"type": "audit.retention_changed"}, headers=admin
    )
    changes = sorted(r.json()["items"], key=lambda e: e["seq"])
    assert [(c["payload"]["before"]["days"], c["payload"]["after"]["days"]) for c in changes] == [
        (2555, 400),
        (400, 730),
    ]
    assert {c["actor_id"] for c in changes} == {admin_id}
    r = await client.get("/api/v1/audit/events", params={"project_id": str(project)}, headers=admin)
    held = sorted(r.json()["items"], key=lambda e: e["seq"])
    assert [e["type"] for e in held] == ["audit.legal_hold_placed", "audit.legal_hold_lifted"]
    assert held[0]["payload"]["after"]["reason"] == "case 17"
    assert held[1]["payload"] == {"before": held[0]["payload"]["after"], "after": None}
    r = await client.get("/api/v1/audit/verify", headers=admin)
    assert r.json()["ok"] is True, r.json()
    assert r.json()["checked"] == 7


def _subject(headers: dict[str, str]) -> str:
    """The `sub` of a bearer token (no verification: the test minted it)."""
    import base64
    import json

    payload = headers["Authorization"].split()[1].split(".")[1]
    return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"])
