"""Reports of a project with its own workflow: every figure reads the status category.

"Shipped" is a done status, "Review" an in-progress one, "Icebox" a backlog one; a status
*named* "done" in the in_progress category must not count as done.
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from reporting_testkit import O, Scenario, TaskLog, V, apply_all, t

from taskflow.events import (
    FieldChange,
    ProjectCreated,
    ProjectMemberAdded,
    ProjectWorkflowChanged,
    TaskCompleted,
    TaskCreated,
    WorkflowStatus,
)
from taskflow.events.contracts.tasks import TaskSnapshot, TaskStatusChanged

pytestmark = pytest.mark.asyncio

W = uuid4()
IDS = {name: uuid4() for name in ("todo", "Shipped", "Review", "Icebox", "done")}
CATEGORY = {
    "todo": "todo",
    "Shipped": "done",
    "Review": "in_progress",
    "Icebox": "backlog",
    "done": "in_progress",  # a misleading name: only the category counts
}


def _scenario() -> Scenario:
    sc = Scenario()
    sc.add(
        ProjectCreated(
            project_id=W, key="W", name="W", owner_id=O, status="active", health="on_track"
        ),
        t("11-01 08:00"),
    )
    for user, role in ((O, "owner"), (V, "viewer")):
        sc.add(ProjectMemberAdded(project_id=W, user_id=user, role=role), t("11-01 09:00"))
    moves = [
        (1, "Shipped", "11-03 10:00"),
        (2, "Review", "11-03 11:00"),
        (3, "Icebox", "11-03 12:00"),
        (4, "done", "11-03 13:00"),
    ]
    for n, status, when in moves:
        log = TaskLog(
            sc,
            900 + n,
            W,
            status_id=IDS["todo"],
            status_category="todo",
            due_at=t("11-04 12:00"),
        )
        log.emit(TaskCreated, t("11-02 09:00"))
        done = CATEGORY[status] == "done"
        log.version += 1
        log.state.update(
            status=status,
            status_id=IDS[status],
            status_category=CATEGORY[status],
            completed_at=t(when) if done else None,
        )
        snap = TaskSnapshot(**{**log.state, "updated_at": t(when), "version": log.version})
        if done:
            sc.add(TaskCompleted(task=snap), t(when))
        else:
            sc.add(
                TaskStatusChanged(
                    task=snap,
                    before="todo",
                    after=status,
                    before_category="todo",
                    after_category=CATEGORY[status],  # type: ignore[arg-type]
                ),
                t(when),
            )
    return sc


async def get(client: Any, auth: Any, path: str, **params: Any) -> Any:
    r = await client.get(f"/api/v1/reports{path}", params=params, headers=auth(V))
    assert r.status_code == 200, r.text
    return r.json()


async def test_summary_flow_and_throughput_by_category(
    sessionmaker: Any, app: Any, client: Any, auth: Any
) -> None:
    await apply_all(sessionmaker, _scenario().envelopes)
    s = await get(client, auth, f"/projects/{W}/summary")
    assert s["by_category"] == {
        "backlog": 1,
        "todo": 0,
        "in_progress": 2,
        "done": 1,
        "cancelled": 0,
    }
    assert s["by_status"] == {
        "todo": 0,
        "in_progress": 0,
        "blocked": 0,
        "done": 1,
        "cancelled": 0,
        "Shipped": 1,
        "Review": 1,
        "Icebox": 1,
    }
    assert s["completion_rate"] == pytest.approx(1 / 4, abs=1e-4)
    assert s["overdue"] == 3  # due 11-04, read today: the three open ones, not the shipped one
    assert s["lead_time"]["count"] == 1

    f = await get(
        client, auth, f"/projects/{W}/cumulative-flow", **{"from": "2026-11-03", "to": "2026-11-04"}
    )
    first, second = f["items"]
    assert first["by_category"] == {
        "backlog": 1,
        "todo": 0,
        "in_progress": 2,
        "done": 1,
        "cancelled": 0,
    }
    assert first["by_status"]["Review"] == 1
    assert first["open"] == 3
    assert (first["overdue"], second["overdue"]) == (0, 3)  # the done one is never overdue
    assert first["done"] == 1  # the legacy field counts the status named "done"

    th = await get(
        client, auth, f"/projects/{W}/throughput", **{"from": "2026-11-03", "to": "2026-11-03"}
    )
    assert th["items"][0]["completed"] == 1

    r = await client.get(
        f"/api/v1/reports/projects/{W}/cumulative-flow",
        params={"from": "2026-11-03", "to": "2026-11-03", "format": "csv"},
        headers=auth(V),
    )
    header, row = r.text.strip().split("\r\n")
    assert header.endswith(
        "category.backlog,category.todo,category.in_progress,category.done,category.cancelled"
    )
    assert row.endswith(",1,0,2,1,0")


async def test_a_renamed_status_is_one_series_in_the_reports(
    sessionmaker: Any, app: Any, client: Any, auth: Any
) -> None:
    sc = _scenario()
    sc.add(
        ProjectWorkflowChanged(
            project_id=W,
            change="status_updated",
            status_id=IDS["Review"],
            changes={"name": FieldChange(before="Review", after="In review")},
            statuses=[
                WorkflowStatus(
                    status_id=IDS["Review"],
                    name="In review",
                    colour="#a855f7",
                    category="in_progress",
                    position=0,
                )
            ],
        ),
        t("11-05 09:00"),
    )
    await apply_all(sessionmaker, sc.envelopes)
    s = await get(client, auth, f"/projects/{W}/summary")
    assert s["by_status"].get("Review") is None
    assert s["by_status"]["In review"] == 1
    f = await get(
        client, auth, f"/projects/{W}/cumulative-flow", **{"from": "2026-11-03", "to": "2026-11-03"}
    )
    assert f["items"][0]["by_status"]["In review"] == 1
    assert "Review" not in f["items"][0]["by_status"]
