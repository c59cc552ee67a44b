"""Every figure of every report against the hand-computed scenario (tests/scenario.py).

The events go through the consumer's handler function with a real database session; the
reports are read over HTTP. The same figures must come out when the events arrive shuffled
and duplicated.
"""

from __future__ import annotations

import random
from typing import Any
from uuid import uuid4

import pytest
from reporting_testkit import MS, T_IDS, A, M, O, P, Q, R, V, X, apply_all, build
from sqlalchemy import text

from taskflow.events.contracts.tasks import TaskUpdated
from taskflow.events.envelope import Envelope

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def loaded(sessionmaker: Any, app: Any) -> Any:
    await apply_all(sessionmaker, build().envelopes)
    return sessionmaker


async def get(client: Any, auth: Any, user: Any, path: str, **params: Any) -> Any:
    r = await client.get(f"/api/v1/reports{path}", params=params, headers=auth(user))
    assert r.status_code == 200, r.text
    return r.json()


async def test_summary(loaded: Any, client: Any, auth: Any) -> None:
    s = await get(client, auth, V, f"/projects/{P}/summary")
    assert s["total"] == 7
    assert s["by_status"] == {"todo": 1, "in_progress": 1, "blocked": 0, "done": 4, "cancelled": 1}
    assert s["by_priority"] == {"none": 1, "low": 2, "medium": 2, "high": 1, "urgent": 1}
    assert s["overdue"] == 1
    assert s["completion_rate"] == pytest.approx(4 / 6, abs=1e-4)
    assert s["on_time_rate"] == pytest.approx(2 / 3, abs=1e-4)
    # cycle [10.5, 48, 48, 72]: median 48, p90 at 2.7 -> 48 + 0.7 * 24 = 64.8
    assert s["cycle_time"] == {"count": 4, "median_hours": 48.0, "p90_hours": 64.8}
    # lead [11.5, 72, 74, 96]: median 73, p90 74 + 0.7 * 22 = 89.4
    assert s["lead_time"] == {"count": 4, "median_hours": 73.0, "p90_hours": 89.4}
    assert s["as_of"] == "2026-11-09T23:30:00Z"
    assert s["tz"] == "UTC"


async def test_throughput_daily_and_weekly(loaded: Any, client: Any, auth: Any) -> None:
    d = await get(
        client, auth, M, f"/projects/{P}/throughput", **{"from": "2026-11-02", "to": "2026-11-09"}
    )
    assert [(i["period_start"], i["created"], i["completed"]) for i in d["items"]] == [
        ("2026-11-02", 2, 0),
        ("2026-11-03", 1, 0),
        ("2026-11-04", 2, 0),  # T4's first completion is superseded by its last
        ("2026-11-05", 1, 1),
        ("2026-11-06", 0, 1),
        ("2026-11-07", 0, 1),
        ("2026-11-08", 0, 0),
        ("2026-11-09", 1, 1),
    ]
    w = await get(
        client,
        auth,
        M,
        f"/projects/{P}/throughput",
        interval="week",
        **{"from": "2026-11-04", "to": "2026-11-15"},
    )
    assert [(i["period_start"], i["created"], i["completed"]) for i in w["items"]] == [
        ("2026-11-02", 6, 3),
        ("2026-11-09", 1, 1),
    ]
    assert (w["from"], w["to"], w["interval"]) == ("2026-11-04", "2026-11-15", "week")


async def test_a_completion_at_2330_utc_lands_on_different_days(
    loaded: Any, client: Any, auth: Any
) -> None:
    rng = {"from": "2026-11-09", "to": "2026-11-10"}
    berlin = await get(client, auth, M, f"/projects/{P}/throughput", tz="Europe/Berlin", **rng)
    york = await get(client, auth, M, f"/projects/{P}/throughput", tz="America/New_York", **rng)
    assert [(i["period_start"], i["completed"]) for i in berlin["items"]] == [
        ("2026-11-09", 0),
        ("2026-11-10", 1),
    ]
    assert [(i["period_start"], i["completed"]) for i in york["items"]] == [
        ("2026-11-09", 1),
        ("2026-11-10", 0),
    ]
    assert berlin["tz"] == "Europe/Berlin"


async def test_cumulative_flow(loaded: Any, client: Any, auth: Any) -> None:
    f = await get(
        client,
        auth,
        M,
        f"/projects/{P}/cumulative-flow",
        **{"from": "2026-11-02", "to": "2026-11-07"},
    )
    cols = ("day", "todo", "in_progress", "blocked", "done", "cancelled", "open", "overdue")
    assert [tuple(i[c] for c in cols) for i in f["items"]] == [
        ("2026-11-02", 2, 0, 0, 0, 0, 2, 0),
        ("2026-11-03", 1, 2, 0, 0, 0, 3, 0),
        ("2026-11-04", 1, 3, 0, 1, 0, 4, 1),  # T2 due 11-04 12:00 still in progress
        ("2026-11-05", 3, 3, 0, 1, 0, 6, 1),  # T7 not yet deleted
        ("2026-11-06", 1, 2, 0, 2, 1, 3, 0),
        ("2026-11-07", 1, 1, 0, 3, 1, 2, 0),
    ]


async def test_cumulative_flow_day_boundary_in_two_zones(
    loaded: Any, client: Any, auth: Any
) -> None:
    """T8 is done at 23:30 UTC on 11-09: done by the end of 11-09 in New York, not in Berlin...
    but Berlin's 11-09 ends at 23:00 UTC, so there it is still in progress."""
    rng = {"from": "2026-11-09", "to": "2026-11-09"}
    berlin = await get(client, auth, M, f"/projects/{P}/cumulative-flow", tz="Europe/Berlin", **rng)
    york = await get(
        client, auth, M, f"/projects/{P}/cumulative-flow", tz="America/New_York", **rng
    )
    assert (berlin["items"][0]["in_progress"], berlin["items"][0]["done"]) == (2, 3)
    assert (york["items"][0]["in_progress"], york["items"][0]["done"]) == (1, 4)


async def test_burndown(loaded: Any, client: Any, auth: Any) -> None:
    b = await get(
        client, auth, V, f"/milestones/{MS}/burndown", **{"from": "2026-11-02", "to": "2026-11-07"}
    )
    assert (b["title"], b["due_date"], b["project_id"]) == ("Beta", "2026-11-07", str(P))
    assert [(i["day"], i["scope"], i["done"], i["remaining"], i["ideal"]) for i in b["items"]] == [
        ("2026-11-02", 2, 0, 2, 2.0),
        ("2026-11-03", 3, 0, 3, 1.6),
        ("2026-11-04", 3, 0, 3, 1.2),
        ("2026-11-05", 4, 1, 3, 0.8),  # T4 joined the milestone when reopened
        ("2026-11-06", 4, 2, 2, 0.4),
        ("2026-11-07", 4, 3, 1, 0.0),
    ]
    default = await get(client, auth, V, f"/milestones/{MS}/burndown")
    assert [i["day"] for i in default["items"]][0::6] == ["2026-11-01", "2026-11-07"]


def _people(team: dict[str, Any]) -> dict[str, Any]:
    return {i["user_id"]: {k: v for k, v in i.items() if k != "user_id"} for i in team["items"]}


async def test_team(loaded: Any, client: Any, auth: Any) -> None:
    team = _people(await get(client, auth, A, f"/projects/{P}/team"))
    zero = {
        "assigned": 0,
        "completed": 0,
        "on_time_rate": None,
        "median_cycle_hours": None,
        "overdue": 0,
    }
    assert team == {
        str(O): {"role": "owner", **zero},
        str(V): {"role": "viewer", **zero},
        # T1 (on time, 48 h), T2 (late, 72 h), T4 (no due, 48 h), T6 cancelled; T7 deleted
        str(M): {
            "role": "member",
            "assigned": 4,
            "completed": 3,
            "on_time_rate": 0.5,
            "median_cycle_hours": 48.0,
            "overdue": 0,
        },
        # T3 (overdue), T4 (48 h), T8 (on time, 10.5 h)
        str(A): {
            "role": "admin",
            "assigned": 3,
            "completed": 2,
            "on_time_rate": 1.0,
            "median_cycle_hours": 29.25,
            "overdue": 1,
        },
    }
    assert [i["user_id"] for i in (await get(client, auth, O, f"/projects/{P}/team"))["items"]]


async def test_completion_credit_stays_with_who_completed(
    loaded: Any, client: Any, auth: Any
) -> None:
    """T8, completed by A, handed to O afterwards: A keeps the completion, O gets the task."""
    last = next(
        e.event() for e in reversed(build().envelopes) if e.event().task.task_id == T_IDS[8]
    )
    snap = last.task.model_copy(update={"version": last.task.version + 1, "assignee_ids": [O]})
    moved = Envelope.wrap(
        TaskUpdated(task=snap, changes={}),
        source="taskflow/tasks",
        actor_id=O,
        id=uuid4(),
        time=snap.updated_at,
    )
    await apply_all(loaded, [moved])
    team = _people(await get(client, auth, A, f"/projects/{P}/team"))
    assert (team[str(A)]["assigned"], team[str(A)]["completed"]) == (2, 2)
    assert team[str(A)]["median_cycle_hours"] == 29.25
    assert (team[str(O)]["assigned"], team[str(O)]["completed"]) == (1, 0)
    assert (await get(client, auth, A, "/me"))["totals"]["completed"] == 2


async def test_me(loaded: Any, client: Any, auth: Any) -> None:
    me = await get(client, auth, M, "/me")
    assert me["totals"] == {
        "assigned": 5,
        "completed": 3,
        "on_time_rate": 0.5,
        "median_cycle_hours": 48.0,
        "overdue": 0,
    }
    projects = {p["project_id"]: p for p in me["projects"]}
    assert set(projects) == {str(P), str(Q)}  # removed from R: R's task is not mine any more
    assert (projects[str(Q)]["assigned"], projects[str(Q)]["completed"]) == (1, 0)
    assert me["as_of"] == "2026-11-10T09:00:00Z"
    nobody = await get(client, auth, X, "/me")
    assert (nobody["totals"]["assigned"], nobody["projects"]) == (0, [])


async def test_history_derived_facts(loaded: Any) -> None:
    async with loaded() as s:
        row = (
            await s.execute(
                text(
                    "SELECT started_at, completed_at, times_reopened, version, status "
                    "FROM task_facts WHERE task_id = :t"
                ),
                {"t": T_IDS[4]},
            )
        ).one()
    assert (
        row.started_at.isoformat(),
        row.completed_at.isoformat(),
        row.times_reopened,
        row.version,
        row.status,
    ) == ("2026-11-05T10:00:00+00:00", "2026-11-07T10:00:00+00:00", 1, 5, "done")


async def _all_reports(client: Any, auth: Any) -> list[Any]:
    rng = {"from": "2026-11-01", "to": "2026-11-12"}
    out = []
    for user, path, params in (
        (M, f"/projects/{P}/summary", {}),
        (M, f"/projects/{P}/throughput", rng),
        (M, f"/projects/{P}/cumulative-flow", {**rng, "tz": "Europe/Berlin"}),
        (M, f"/milestones/{MS}/burndown", rng),
        (O, f"/projects/{P}/team", {}),
        (M, "/me", {}),
        (M, f"/projects/{Q}/summary", {}),
    ):
        out.append(await get(client, auth, user, path, **params))
    return out


async def test_shuffled_and_duplicated_events_give_the_same_figures(
    sessionmaker: Any, app: Any, client: Any, auth: Any, truncate_schema: Any, clean: Any
) -> None:
    envelopes = build().envelopes
    await apply_all(sessionmaker, envelopes)
    expected = await _all_reports(client, auth)
    for seed in (1, 2):
        await truncate_schema(clean, "reporting")
        shuffled = envelopes * 2
        random.Random(seed).shuffle(shuffled)
        await apply_all(sessionmaker, shuffled)
        assert await _all_reports(client, auth) == expected, f"seed {seed}"
    assert R  # the removed membership stays removed whatever the order
