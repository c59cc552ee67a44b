"""Scopes in the reporting service: every route declared and the matrix."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from taskflow.testing.scopes import ALL_ROLES, PROBES, check_scope_matrix

REPORTS = {"reports:read"}

#: Who may call what, by scope. A new route fails the matrix until it is declared and listed.
POLICY: dict[tuple[str, str], Any] = {
    **PROBES,
    ("GET", "/api/v1/reports/projects/{project_id}/summary"): REPORTS,
    ("GET", "/api/v1/reports/projects/{project_id}/throughput"): REPORTS,
    ("GET", "/api/v1/reports/projects/{project_id}/cumulative-flow"): REPORTS,
    ("GET", "/api/v1/reports/milestones/{milestone_id}/burndown"): REPORTS,
    ("GET", "/api/v1/reports/projects/{project_id}/team"): REPORTS,
    ("GET", "/api/v1/reports/me"): REPORTS,
}


async def test_every_route_declares_its_scope_and_the_matrix_holds(
    app: Any, client: Any, mint_token: Callable[..., str]
) -> None:
    async def token_for(scopes: frozenset[str]) -> str:
        return mint_token(uuid.uuid4(), roles=ALL_ROLES, scopes=sorted(scopes))

    calls = await check_scope_matrix(client, app, POLICY, token_for)
    assert calls >= 11 * (len(POLICY) - len(PROBES))


async def test_a_tasks_token_cannot_read_reports(
    client: Any, mint_token: Callable[..., str]
) -> None:
    me = uuid.uuid4()
    tasks_only = {"Authorization": "Bearer " + mint_token(me, scopes=["tasks:read", "tasks:write"])}
    r = await client.get("/api/v1/reports/me", headers=tasks_only)
    assert r.status_code == 403
    assert r.json()["required_scopes"] == ["reports:read"]
    reports = {"Authorization": "Bearer " + mint_token(me, scopes=["reports:read"])}
    assert (await client.get("/api/v1/reports/me", headers=reports)).status_code == 200
