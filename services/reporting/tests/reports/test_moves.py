"""A task moved to another project (`task.moved`): both projects' figures follow it.

Project A has two tasks: T1 (done 11-03 12:00, assigned to M) and T2 (in progress). T1 moves
to project B on 11-05 (a done status there too). Afterwards A's reports hold T2 only, B's hold
T1 with its history (cycle time, cumulative flow before the move), and M's figures are B's.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from reporting_testkit import M, O, Scenario, TaskLog, V, apply_all, t, uid

from taskflow.events import ProjectCreated, ProjectMemberAdded, TaskCreated, TaskStatusChanged
from taskflow.events.contracts.tasks import TaskMoved, TaskSnapshot

pytestmark = pytest.mark.asyncio

A, B = uid(0x501), uid(0x502)


def _scenario() -> tuple[Scenario, TaskLog, list[Any]]:
    sc = Scenario()
    for project, key in ((A, "A"), (B, "B")):
        sc.add(
            ProjectCreated(
                project_id=project,
                key=key,
                name=key,
                owner_id=O,
                status="active",
                health="on_track",
            ),
            t("11-01 08:00"),
        )
        for user, role in ((O, "owner"), (V, "viewer"), (M, "member")):
            sc.add(
                ProjectMemberAdded(project_id=project, user_id=user, role=role), t("11-01 09:00")
            )
    t1 = TaskLog(sc, 51, A, assignee_ids=[M], status_category="todo")
    t1.emit(TaskCreated, t("11-02 09:00"))
    t1.status("in_progress", t("11-02 12:00"), status_category="in_progress")
    t1.status("done", t("11-03 12:00"), status_category="done")
    t2 = TaskLog(sc, 52, A, status_category="todo")
    t2.emit(TaskCreated, t("11-02 10:00"))
    t2.status("in_progress", t("11-04 10:00"), status_category="in_progress")
    before_move = list(sc.envelopes)
    t1.version += 1
    t1.state.update(project_id=B, key="B-1", number=1, status="done")
    snap = TaskSnapshot(**{**t1.state, "updated_at": t("11-05 09:00"), "version": t1.version})
    sc.add(
        TaskMoved(task=snap, from_project_id=A, to_project_id=B, from_key="A-51"),
        t("11-05 09:00"),
    )
    return sc, t1, before_move


async def _get(client: Any, auth: Any, path: str, **params: Any) -> Any:
    r = await client.get(f"/api/v1/reports{path}", params=params, headers=auth(V))
    assert r.status_code == 200, r.text
    return r.json()


async def _figures(client: Any, auth: Any, project: UUID) -> dict[str, Any]:
    s = await _get(client, auth, f"/projects/{project}/summary")
    flow = await _get(
        client,
        auth,
        f"/projects/{project}/cumulative-flow",
        **{"from": "2026-11-03", "to": "2026-11-03"},
    )
    th = await _get(
        client,
        auth,
        f"/projects/{project}/throughput",
        **{"from": "2026-11-03", "to": "2026-11-03"},
    )
    return {
        "total": s["total"],
        "done": s["by_category"]["done"],
        "in_progress": s["by_category"]["in_progress"],
        "lead_count": s["lead_time"]["count"],
        "flow_done": flow["items"][0]["by_category"]["done"],
        "flow_in_progress": flow["items"][0]["by_category"]["in_progress"],
        "completed_11_03": th["items"][0]["completed"],
    }


async def test_both_projects_figures_follow_a_moved_task(
    sessionmaker: Any, app: Any, client: Any, auth: Any
) -> None:
    sc, _, before_move = _scenario()
    await apply_all(sessionmaker, before_move)
    assert (await _figures(client, auth, A))["done"] == 1  # the baseline: T1 is A's
    await apply_all(sessionmaker, sc.envelopes[len(before_move) :])
    a, b = await _figures(client, auth, A), await _figures(client, auth, B)
    assert a == {
        "total": 1,
        "done": 0,
        "in_progress": 1,
        "lead_count": 0,
        "flow_done": 0,
        "flow_in_progress": 0,  # T2 started on 11-04
        "completed_11_03": 0,
    }
    assert b == {
        "total": 1,
        "done": 1,
        "in_progress": 0,
        "lead_count": 1,
        "flow_done": 1,  # its history came along
        "flow_in_progress": 0,
        "completed_11_03": 1,
    }
    me = await client.get("/api/v1/reports/me", headers=auth(M))
    assert me.status_code == 200, me.text
    mine = {str(p["project_id"]): p["completed"] for p in me.json()["projects"]}
    assert mine.get(str(A), 0) == 0
    assert mine[str(B)] == 1


async def test_a_late_older_event_does_not_bring_the_task_back(
    sessionmaker: Any, app: Any, client: Any, auth: Any
) -> None:
    """The move is applied first, an event from before it arrives late: B keeps the task."""
    sc, _, before_move = _scenario()
    move = sc.envelopes[len(before_move) :]
    late = [e for e in before_move if isinstance(e.event(), TaskStatusChanged)]
    early = [e for e in before_move if e not in late]
    await apply_all(sessionmaker, early + move + late)
    a, b = await _figures(client, auth, A), await _figures(client, auth, B)
    assert (a["total"], a["done"], a["flow_done"], a["flow_in_progress"]) == (1, 0, 0, 0)
    assert (b["total"], b["done"], b["flow_done"]) == (1, 1, 1)
