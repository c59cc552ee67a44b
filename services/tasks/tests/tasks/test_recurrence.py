"""Recurrence: next occurrences in the owner's timezone, exactly once, both modes."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest

from taskflow.tasks.tasks import occurrences
from taskflow.tasks.tasks.recurrence import RecurrenceError, validate_rule


@pytest.fixture
def session_factory(app):
    return app.state.db.sessionmaker


async def _chain(
    session_factory, task_id: str, n: int, now: datetime | None = None
) -> list[datetime]:
    """Create `n` successive occurrences; their due times."""
    out, current = [], uuid.UUID(task_id)
    for _ in range(n):
        async with session_factory.begin() as s:
            nxt = await occurrences.create_next(s, current, now=now)
            assert nxt is not None
            out.append(nxt.due_at)
            current = nxt.id
    return out


def test_rule_validation():
    assert validate_rule("rrule:freq=weekly;byday=mo") == "FREQ=WEEKLY;BYDAY=MO"
    for bad in [
        "FREQ=MINUTELY",
        "FREQ=SECONDLY",
        "FREQ=HOURLY;BYMINUTE=0,15",
        "FREQ=DAILY\nRRULE:X",
        "DTSTART:20260101T000000Z",
        "FREQ=WEEKLY;COUNT=0",
        "",
    ]:
        with pytest.raises(RecurrenceError):
            validate_rule(bad)
    assert validate_rule("FREQ=HOURLY")


async def test_every_two_weeks_on_tuesday_and_thursday(make_user, make_project, session_factory):
    ann = await make_user(tz="Europe/Berlin")
    p = await make_project(ann)
    t = await p.task(
        title="standup",
        due_at="2026-01-06T08:00:00Z",  # Tue 09:00 Berlin
        recurrence={"rrule": "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH", "mode": "fixed"},
    )
    dues = await _chain(session_factory, t["id"], 5)
    assert [d.isoformat() for d in dues] == [
        "2026-01-08T08:00:00+00:00",
        "2026-01-20T08:00:00+00:00",
        "2026-01-22T08:00:00+00:00",
        "2026-02-03T08:00:00+00:00",
        "2026-02-05T08:00:00+00:00",
    ]


async def test_last_friday_of_the_month(make_user, make_project, session_factory):
    ann = await make_user()
    p = await make_project(ann)
    t = await p.task(
        title="close books",
        due_at="2026-01-30T17:00:00Z",
        recurrence={"rrule": "FREQ=MONTHLY;BYDAY=-1FR", "mode": "fixed"},
    )
    dues = await _chain(session_factory, t["id"], 3)
    assert [d.date().isoformat() for d in dues] == ["2026-02-27", "2026-03-27", "2026-04-24"]
    assert {d.hour for d in dues} == {17}


@pytest.mark.parametrize(
    ("tz", "first", "after"),
    [
        (
            "Europe/Berlin",
            "2026-03-23T08:00:00Z",
            ["2026-03-30T07:00:00+00:00", "2026-04-06T07:00:00+00:00"],
        ),
        (
            "America/New_York",
            "2026-03-02T14:00:00Z",
            ["2026-03-09T13:00:00+00:00", "2026-03-16T13:00:00+00:00"],
        ),
        (
            "Europe/Berlin",
            "2026-10-19T07:00:00Z",
            ["2026-10-26T08:00:00+00:00", "2026-11-02T08:00:00+00:00"],
        ),
    ],
)
async def test_dst_change_keeps_wall_clock_time(
    make_user, make_project, session_factory, tz, first, after
):
    ann = await make_user(tz=tz)
    p = await make_project(ann)
    t = await p.task(
        title="weekly", due_at=first, recurrence={"rrule": "FREQ=WEEKLY", "mode": "fixed"}
    )
    assert [d.isoformat() for d in await _chain(session_factory, t["id"], 2)] == after


async def test_after_completion_counts_from_completion(
    client, make_user, make_project, session_factory, sql
):
    ann = await make_user()
    p = await make_project(ann)
    lb = (
        await client.post(f"/api/v1/projects/{p.id}/labels", json={"name": "ops"}, headers=ann.h)
    ).json()
    t = await p.task(
        title="water plants",
        due_at="2026-01-01T09:00:00Z",
        start_at="2026-01-01T08:00:00Z",
        label_ids=[lb["id"]],
        assignee_ids=[str(ann.id)],
        reminders=[{"before_minutes": 30}],
        recurrence={"rrule": "FREQ=DAILY;INTERVAL=3", "mode": "after_completion"},
    )
    await client.patch(f"/api/v1/tasks/{t['id']}", json={"status": "done"}, headers=ann.h)
    await sql(
        "UPDATE tasks.tasks SET completed_at = '2026-01-10T15:00:00Z' WHERE id = :i",
        i=uuid.UUID(t["id"]),
    )
    async with session_factory.begin() as s:
        nxt = await occurrences.create_next(s, uuid.UUID(t["id"]))
        assert nxt is not None
        assert nxt.due_at.isoformat() == "2026-01-13T09:00:00+00:00"
        assert nxt.start_at.isoformat() == "2026-01-13T08:00:00+00:00"
        assert nxt.label_ids == [uuid.UUID(lb["id"])]
        assert nxt.assignee_ids == [ann.id]
        assert nxt.reminders == [{"before_minutes": 30}]
        assert (nxt.series_id, nxt.occurrence_index) == (uuid.UUID(t["id"]), 1)


@pytest.mark.parametrize(
    ("rule", "tz", "due", "completed", "expected"),
    [
        # Daily, finished the afternoon before it was due: not again on the due date.
        (
            "FREQ=DAILY",
            "UTC",
            "2026-01-10T09:00:00Z",
            "2026-01-09T15:00:00Z",
            "2026-01-11T09:00:00+00:00",
        ),
        # Weekly on Mondays, finished on the Friday before: the Monday after, not that Monday.
        (
            "FREQ=WEEKLY;BYDAY=MO",
            "UTC",
            "2026-01-12T09:00:00Z",
            "2026-01-09T10:00:00Z",
            "2026-01-19T09:00:00+00:00",
        ),
        # The due date is the owner's local date: 00:30 Berlin on the 10th is the 9th in UTC.
        (
            "FREQ=DAILY",
            "Europe/Berlin",
            "2026-01-09T23:30:00Z",
            "2026-01-08T12:00:00Z",
            "2026-01-10T23:30:00+00:00",
        ),
    ],
)
async def test_after_completion_finished_early_skips_the_due_date(
    make_user, make_project, session_factory, sql, rule, tz, due, completed, expected
):
    ann = await make_user(tz=tz)
    p = await make_project(ann)
    t = await p.task(
        title="early bird", due_at=due, recurrence={"rrule": rule, "mode": "after_completion"}
    )
    await sql(
        "UPDATE tasks.tasks SET completed_at = :c WHERE id = :i",
        c=datetime.fromisoformat(completed),
        i=uuid.UUID(t["id"]),
    )
    async with session_factory.begin() as s:
        nxt = await occurrences.create_next(s, uuid.UUID(t["id"]))
        assert nxt is not None
        assert nxt.due_at.isoformat() == expected
        assert nxt.due_at > datetime.fromisoformat(due)


async def test_next_occurrence_exactly_once_even_concurrently(
    make_user, make_project, session_factory, sql
):
    ann = await make_user()
    p = await make_project(ann)
    t = await p.task(
        title="r",
        due_at="2026-01-05T09:00:00Z",
        recurrence={"rrule": "FREQ=WEEKLY", "mode": "fixed"},
    )

    async def attempt():
        async with session_factory.begin() as s:
            return await occurrences.create_next(s, uuid.UUID(t["id"]))

    results = await asyncio.gather(*[attempt() for _ in range(4)])
    assert sum(r is not None for r in results) == 1
    assert (
        await sql("SELECT count(*) FROM tasks.tasks WHERE series_id = :i", i=uuid.UUID(t["id"]))
    )[0][0] == 2
    # and again later: still only one successor
    assert await attempt() is None


async def test_fixed_scan_advances_due_series_only(make_user, make_project, session_factory, sql):
    ann = await make_user()
    p = await make_project(ann)
    past = await p.task(
        title="due",
        due_at="2026-01-05T09:00:00Z",
        recurrence={"rrule": "FREQ=WEEKLY", "mode": "fixed"},
    )
    await p.task(
        title="later",
        due_at="2099-01-05T09:00:00Z",
        recurrence={"rrule": "FREQ=WEEKLY", "mode": "fixed"},
    )
    await p.task(
        title="completion", due_at="2026-01-05T09:00:00Z", recurrence={"rrule": "FREQ=WEEKLY"}
    )
    now = datetime(2026, 1, 8, tzinfo=UTC)
    async with session_factory.begin() as s:
        assert await occurrences.advance_fixed(s, now) == 1
    async with session_factory.begin() as s:  # the new one is due on the 12th: nothing to do
        assert await occurrences.advance_fixed(s, now) == 0
    rows = await sql(
        "SELECT occurrence_index, due_at FROM tasks.tasks WHERE series_id = :i ORDER BY 1",
        i=uuid.UUID(past["id"]),
    )
    assert [r[1].isoformat() for r in rows] == [
        "2026-01-05T09:00:00+00:00",
        "2026-01-12T09:00:00+00:00",
    ]


async def test_purge_removes_old_trash_only(client, make_user, make_project, session_factory, sql):
    from datetime import timedelta

    ann = await make_user()
    p = await make_project(ann)
    old, new = await p.task(title="old"), await p.task(title="new")
    for t in (old, new):
        await client.delete(f"/api/v1/tasks/{t['id']}", headers=ann.h)
    await sql(
        "UPDATE tasks.tasks SET deleted_at = now() - interval '31 days' WHERE id = :i",
        i=uuid.UUID(old["id"]),
    )
    async with session_factory.begin() as s:
        assert await occurrences.purge_trash(s, timedelta(days=30)) == 1
    assert [r[0] for r in await sql("SELECT title FROM tasks.tasks")] == ["new"]
    assert (
        await sql("SELECT count(*) FROM tasks.activity WHERE task_id = :i", i=uuid.UUID(old["id"]))
    )[0][0] == 0
