"""The log's HTTP api: search, get, verify, export, on the real database."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from taskflow.audit.chain.hashing import canonical_json


async def test_list_filters_and_keyset_pages(
    h: Any, client: Any, owner_engine: AsyncEngine, auditor: dict[str, str]
) -> None:
    actor, project = uuid.uuid4(), uuid.uuid4()
    items = [
        h.item(i, actor_id=actor if i % 2 else None, project_id=project if i < 6 else None)
        for i in range(12)
    ]
    await h.seed(owner_engine, items)
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 4, "actor_id": str(actor)}
        if cursor:
            params["cursor"] = cursor
        r = await client.get("/api/v1/audit/events", params=params, headers=auditor)
        assert r.status_code == 200, r.text
        body = r.json()
        seen += [e["seq"] for e in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [12, 10, 8, 6, 4, 2]
    r = await client.get(
        "/api/v1/audit/events",
        params={"project_id": str(project), "actor_id": str(actor)},
        headers=auditor,
    )
    assert [e["seq"] for e in r.json()["items"]] == [6, 4, 2]
    r = await client.get("/api/v1/audit/events", params={"subject": "task/3"}, headers=auditor)
    assert [e["seq"] for e in r.json()["items"]] == [4]
    r = await client.get("/api/v1/audit/events", params={"cursor": "forged!"}, headers=auditor)
    assert r.status_code == 422


async def test_time_window_and_type_filter(
    h: Any, client: Any, owner_engine: AsyncEngine, auditor: dict[str, str]
) -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    await h.seed(
        owner_engine,
        [
            h.item(
                i,
                type="task.deleted" if i == 2 else "task.created",
                occurred_at=t0 + timedelta(days=i),
            )
            for i in range(5)
        ],
    )
    params = {
        "from": (t0 + timedelta(days=1)).isoformat(),
        "to": (t0 + timedelta(days=3)).isoformat(),
    }
    r = await client.get("/api/v1/audit/events", params=params, headers=auditor)
    assert [e["seq"] for e in r.json()["items"]] == [3, 2]
    r = await client.get("/api/v1/audit/events", params={"type": "task.deleted"}, headers=auditor)
    assert [e["seq"] for e in r.json()["items"]] == [3]


async def test_the_entries_of_one_request_by_its_trace_id(
    h: Any, client: Any, owner_engine: AsyncEngine, auditor: dict[str, str]
) -> None:
    """`trace_id` finds what one request caused; it stays outside the hash (verify holds)."""
    trace, other = "4bf92f3577b34da6a3ce929d0e0e4736", "0af7651916cd43dd8448eb211c80319c"
    await h.seed(
        owner_engine,
        [
            h.item(i, trace_id=(trace if i in (1, 3) else other if i == 2 else None))
            for i in range(5)
        ],
    )
    r = await client.get("/api/v1/audit/events", params={"trace_id": trace}, headers=auditor)
    assert r.status_code == 200, r.text
    assert [(e["seq"], e["trace_id"]) for e in r.json()["items"]] == [(4, trace), (2, trace)]
    r = await client.get("/api/v1/audit/events", headers=auditor)
    assert [e["trace_id"] for e in r.json()["items"]] == [None, trace, other, trace, None]
    r = await client.get("/api/v1/audit/events", params={"trace_id": "XYZ"}, headers=auditor)
    assert r.status_code == 422
    assert "trace_id" in r.text
    r = await client.get("/api/v1/audit/verify", headers=auditor)
    assert r.json()["ok"] is True


async def test_get_by_event_id(
    h: Any, client: Any, owner_engine: AsyncEngine, admin: dict[str, str]
) -> None:
    item = h.item(1)
    await h.seed(owner_engine, [item])
    r = await client.get(f"/api/v1/audit/events/{item.event_id}", headers=admin)
    assert r.status_code == 200
    body = r.json()
    assert body["seq"] == 1
    assert body["payload"] == json.loads(item.payload)
    assert body["prev_hash"] == "0" * 64
    r = await client.get(f"/api/v1/audit/events/{uuid.uuid4()}", headers=admin)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"


async def test_verify_endpoint_names_the_first_broken_seq(
    h: Any,
    client: Any,
    owner_engine: AsyncEngine,
    admin_engine: AsyncEngine,
    auditor: dict[str, str],
) -> None:
    res = await h.seed(owner_engine, [h.item(i) for i in range(250)])
    r = await client.get("/api/v1/audit/verify", headers=auditor)
    assert r.json() == {
        "ok": True,
        "checked": 250,
        "first_broken_seq": None,
        "reason": None,
        "head_seq": 250,
        "head_hash": res.head_hash,
    }
    await h.tamper(admin_engine, "UPDATE audit.entries SET subject = 'task/x' WHERE seq = 201")
    await h.tamper(admin_engine, "DELETE FROM audit.entries WHERE seq = 120")
    r = await client.get("/api/v1/audit/verify", headers=auditor)
    body = r.json()
    assert (body["ok"], body["first_broken_seq"], body["reason"]) == (False, 120, "missing_entry")
    r = await client.get("/api/v1/audit/verify", params={"from_seq": 150}, headers=auditor)
    assert r.json()["first_broken_seq"] == 201


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
async def test_export_manifest_matches_rows(
    h: Any, client: Any, owner_engine: AsyncEngine, auditor: dict[str, str], fmt: str
) -> None:
    t0 = datetime.now(UTC) - timedelta(days=3)
    await h.seed(owner_engine, [h.item(i) for i in range(40)], now=t0)
    await h.seed(owner_engine, [h.item(i) for i in range(40, 290)], now=t0 + timedelta(days=1))
    last = await h.seed(owner_engine, [h.item(i) for i in range(5)], now=t0 + timedelta(days=2))
    params = {
        "format": fmt,
        "from": (t0 + timedelta(hours=1)).isoformat(),
        "to": (t0 + timedelta(days=1, hours=1)).isoformat(),
    }
    r = await client.get("/api/v1/audit/export", params=params, headers=auditor)
    assert r.status_code == 200, r.text
    lines = r.text.splitlines()
    if fmt == "jsonl":
        manifest = json.loads(lines[-1])["manifest"]
        rows = [json.loads(line) for line in lines[:-1]]
        for row in rows:  # each line re-hashes to its hash: the export verifies on its own
            digest = row.pop("hash")
            assert hashlib.sha256(canonical_json(row).encode()).hexdigest() == digest
            row["hash"] = digest
    else:
        assert lines[-1].startswith("#manifest ")
        manifest = json.loads(lines[-1].removeprefix("#manifest "))
        rows = list(csv.DictReader(io.StringIO("\n".join(lines[:-1]))))
    seqs = [int(row["seq"]) for row in rows]
    assert seqs == list(range(41, 291))
    assert manifest["count"] == len(rows) == 250
    assert (manifest["first_seq"], manifest["last_seq"]) == (41, 290)
    assert manifest["head_hash"] == rows[-1]["hash"]
    assert (manifest["chain_head_seq"], manifest["chain_head_hash"]) == (295, last.head_hash)
    assert r.headers["x-audit-count"] == "250"
    assert r.headers["x-audit-head-hash"] == manifest["head_hash"]


async def test_empty_export(client: Any, auditor: dict[str, str]) -> None:
    r = await client.get("/api/v1/audit/export", headers=auditor)
    assert r.status_code == 200
    assert json.loads(r.text.strip())["manifest"]["count"] == 0


async def test_compliance_report(
    h: Any, client: Any, owner_engine: AsyncEngine, auditor: dict[str, str]
) -> None:
    from taskflow.audit.chain.append import NewEntry

    who = uuid.uuid4()
    failed = [
        NewEntry(uuid.uuid4(), "user.login_failed", None, "user/unknown", None, datetime.now(UTC),
                 canonical_json({"email": "Eve@x.io", "reason": "bad_password", "user_id": None}))
        for _ in range(3)
    ]  # fmt: skip
    await h.seed(
        owner_engine,
        [
            *failed,
            h.item(1, type="project.member_role_changed", actor_id=who),
            h.item(2, type="task.deleted", actor_id=who),
            h.item(3, actor_id=who),
            h.item(4, type="project.member_added", actor_id=who),
            h.item(5, type="project.archived"),  # not a deletion
            h.item(6, type="user.mfa_enabled"),  # not a role change
            NewEntry(uuid.uuid4(), "user.updated", who, "user/1", None, datetime.now(UTC),
                     canonical_json({"changes": {"roles": {"old": ["user"], "new": ["admin"]}}})),
            NewEntry(uuid.uuid4(), "user.updated", who, "user/2", None, datetime.now(UTC),
                     canonical_json({"changes": {"display_name": {"old": "a", "new": "b"}}})),
            NewEntry(uuid.uuid4(), "user.registered", None, "user/3", None, datetime.now(UTC),
                     canonical_json({"roles": ["user", "auditor"]})),
            NewEntry(uuid.uuid4(), "user.registered", None, "user/4", None, datetime.now(UTC),
                     canonical_json({"roles": ["user"]})),
        ],
    )  # fmt: skip
    r = await client.get("/api/v1/audit/reports/compliance", headers=auditor)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 13
    assert {"key": "user.login_failed", "count": 3} in body["by_type"]
    assert {"key": "user.updated", "count": 2} in body["by_type"]
    assert body["failed_logins"] == 3
    assert body["failed_logins_by_email"] == [{"key": "eve@x.io", "count": 3}]
    assert body["failed_logins_by_reason"] == [{"key": "bad_password", "count": 3}]
    assert [(n["type"], n["subject"]) for n in body["role_changes"]] == [
        ("project.member_role_changed", "task/1"),
        ("project.member_added", "task/4"),
        ("user.updated", "user/1"),
        ("user.registered", "user/3"),
    ]
    assert body["role_changes_total"] == 4
    assert [n["type"] for n in body["deletions"]] == ["task.deleted"]
    assert body["deletions_total"] == 1
    assert {"key": str(who), "count": 6} in body["by_actor"]
    assert body["chain_head_seq"] == 13
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    r = await client.get(
        "/api/v1/audit/reports/compliance", params={"from": later}, headers=auditor
    )
    assert r.json()["total"] == 0
    assert r.json()["role_changes_total"] == 0


async def test_a_moved_task_is_in_the_trail_of_both_projects(
    h: Any, client: Any, owner_engine: AsyncEngine, auditor: dict[str, str]
) -> None:
    """`task.moved` is filed under the target and found from the source too, in seq order."""
    from taskflow.audit.chain.intake import to_entry
    from taskflow.audit.chain.redaction import RedactionRules
    from taskflow.events import Envelope
    from taskflow.events.contracts import TaskMoved
    from taskflow.events.examples import example

    moved = example(TaskMoved)
    source, target = moved.from_project_id, moved.to_project_id
    entry = to_entry(
        Envelope.wrap(moved, source="taskflow/tasks", actor_id=uuid.uuid4()),
        moved,
        RedactionRules.of([]),
    )
    assert entry.project_id == target
    other = uuid.uuid4()
    await h.seed(
        owner_engine,
        [
            h.item(1, project_id=source),
            h.item(2, project_id=other),
            entry,  # seq 3
            h.item(4, project_id=source),
            h.item(5, project_id=target),
            h.item(6, type="task.moved", project_id=other),  # names no project as its source
        ],
    )

    async def seqs(project: uuid.UUID, **params: Any) -> list[int]:
        r = await client.get(
            "/api/v1/audit/events",
            params={"project_id": str(project), **params},
            headers=auditor,
        )
        assert r.status_code == 200, r.text
        return [e["seq"] for e in r.json()["items"]]

    assert await seqs(source) == [4, 3, 1]
    assert await seqs(target) == [5, 3]
    assert await seqs(other) == [6, 2]
    assert await seqs(source, type="task.moved") == [3]
    assert await seqs(source, type="task.created") == [4, 1]
    # Keyset pages across both branches.
    r = await client.get(
        "/api/v1/audit/events", params={"project_id": str(source), "limit": 2}, headers=auditor
    )
    assert [e["seq"] for e in r.json()["items"]] == [4, 3]
    cursor = r.json()["next_cursor"]
    assert await seqs(source, cursor=cursor, limit=2) == [1]
