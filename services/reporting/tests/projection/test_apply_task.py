"""The one-statement SQL projection of a task event agrees with the pure history.derive.

`repository.apply_task` derives started/completed/reopened/completed_by in SQL; history.py is
the readable specification. Random histories, applied in random order with duplicates, must
leave exactly the figures `derive` computes from the full version list, and the latest state.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import text

from taskflow.reporting.projection import repository
from taskflow.reporting.projection.history import STATUSES, VersionPoint, derive
from taskflow.reporting.projection.models import TaskState

pytestmark = pytest.mark.asyncio

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
_CATEGORY = {"blocked": "in_progress", "Shipped": "done", "Review": "in_progress"}


def _history(rng: random.Random, task_id: UUID, project: UUID) -> list[tuple[TaskState, datetime]]:
    people = [uuid4() for _ in range(3)]
    out = []
    for version in range(1, rng.randint(1, 8) + 1):
        # Default-workflow names and a project's own ("Shipped" is done, "Review" in progress).
        status = "todo" if version == 1 else rng.choice((*STATUSES, "Shipped", "Review"))
        category = _CATEGORY.get(status, status)
        reported = (
            T0 + timedelta(days=version) if category == "done" and rng.random() < 0.3 else None
        )
        state = TaskState(
            task_id=task_id,
            project_id=project,
            version=version,
            status=status,
            category=category,
            priority=rng.choice(("low", "high")),
            created_at=T0,
            due_at=T0 + timedelta(days=3),
            completed_at=reported,
            milestone_id=None,
            assignee_ids=tuple(rng.sample(people, rng.randint(0, 2))),
            deleted=False,
        )
        out.append((state, T0 + timedelta(hours=version * 7)))
    return out


async def test_sql_history_matches_derive_in_any_order(sessionmaker: Any) -> None:
    rng = random.Random(7)
    project = uuid4()
    histories = {uuid4(): None for _ in range(60)}
    expected: dict[UUID, tuple[Any, ...]] = {}
    events: list[tuple[TaskState, datetime]] = []
    for task_id in histories:
        h = _history(rng, task_id, project)
        events += h + rng.sample(h, len(h) // 2)  # some duplicates
        last, _ = h[-1]
        d = derive(
            (VersionPoint(s.version, s.category, at) for s, at in h),
            reported_completed_at=last.completed_at,
        )
        credit: set[UUID] = set()
        if d.completed_at is not None:  # assignees when the final run of done began
            run_start = max(
                (
                    s
                    for i, (s, _) in enumerate(h)
                    if s.category == "done" and (i == 0 or h[i - 1][0].category != "done")
                ),
                key=lambda s: s.version,
            )
            credit = set(run_start.assignee_ids)
        expected[task_id] = (
            last.version,
            last.status,
            d.started_at,
            d.completed_at,
            d.times_reopened,
            credit,
            set(last.assignee_ids),
        )
    rng.shuffle(events)
    for state, at in events:
        async with sessionmaker() as s, s.begin():
            await repository.lock_task(s, state.task_id)
            await repository.apply_task(s, state, at)
    async with sessionmaker() as s:
        rows = (
            await s.execute(
                text(
                    "SELECT f.task_id, f.version, f.status, f.started_at, f.completed_at,"
                    " f.times_reopened, f.completed_by,"
                    " (SELECT array_agg(user_id) FROM task_assignees a"
                    "  WHERE a.task_id = f.task_id) AS current FROM task_facts f"
                )
            )
        ).all()
    got = {
        r.task_id: (
            r.version,
            r.status,
            r.started_at,
            r.completed_at,
            r.times_reopened,
            set(r.completed_by),
            set(r.current or ()),
        )
        for r in rows
    }
    assert got == expected
