"""Retention policy and legal holds over HTTP (the api role writes only these tables)."""

from __future__ import annotations

import uuid
from typing import Any


async def test_retention_get_and_put_with_if_match(
    client: Any, auditor: dict[str, str], settings: Any
) -> None:
    r = await client.get("/api/v1/audit/retention", headers=auditor)
    assert r.json()["days"] == settings.retention_days
    assert r.json()["source"] == "default"
    assert r.headers["etag"] == '"0"'
    r = await client.put(
        "/api/v1/audit/retention", json={"days": 90}, headers={**auditor, "If-Match": '"0"'}
    )
    assert r.status_code == 200, r.text
    assert (r.json()["days"], r.json()["version"], r.json()["source"]) == (90, 1, "policy")
    r = await client.put(
        "/api/v1/audit/retention", json={"days": 30}, headers={**auditor, "If-Match": '"0"'}
    )
    assert r.status_code == 412
    r = await client.put("/api/v1/audit/retention", json={"days": 0}, headers=auditor)
    assert r.status_code == 422
    r = await client.get("/api/v1/audit/retention", headers=auditor)
    assert r.json()["days"] == 90


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
