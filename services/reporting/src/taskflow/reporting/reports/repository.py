"""All SQL of the reports: aggregates over the read models, one round trip per figure group.

The f-strings below only splice module constants (status lists, shared aggregate fragments)
into the SQL; every value is a bound parameter.

Periods arrive as UTC bounds computed in Python (periods.py), so PostgreSQL's own time zone
data never decides a day boundary. Durations are returned in seconds.
"""

# ruff: noqa: S608
from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.reporting.reports.periods import Bucket

#: Open status categories: every rule reads a task's category, never its status name (a
#: project names its own statuses).
_OPEN = "('backlog', 'todo', 'in_progress')"


async def member_role(session: AsyncSession, project_id: UUID, user_id: UUID) -> str | None:
    """The user's active role in the project, None if not a member or the project is deleted."""
    role: str | None = (
        await session.execute(
            text(
                "SELECT m.role FROM members m "
                "LEFT JOIN projects p ON p.project_id = m.project_id "
                "WHERE m.project_id = :p AND m.user_id = :u AND m.active "
                "AND NOT coalesce(p.deleted, false)"
            ),
            {"p": project_id, "u": user_id},
        )
    ).scalar_one_or_none()
    return role


async def project_as_of(session: AsyncSession, project_id: UUID) -> datetime | None:
    """Time of the newest event applied for the project."""
    value: datetime | None = (
        await session.execute(
            text("SELECT max(occurred_at) FROM event_log WHERE project_id = :p"),
            {"p": project_id},
        )
    ).scalar_one()
    return value


async def project_archived(session: AsyncSession, project_id: UUID) -> bool:
    """Whether the project is archived (project.archived, until project.restored)."""
    value = (
        await session.execute(
            text("SELECT archived FROM projects WHERE project_id = :p"), {"p": project_id}
        )
    ).scalar_one_or_none()
    return bool(value)


async def global_as_of(session: AsyncSession) -> datetime | None:
    """Time of the newest event applied at all."""
    value: datetime | None = (
        await session.execute(text("SELECT max(occurred_at) FROM event_log"))
    ).scalar_one()
    return value


async def summary_counts(
    session: AsyncSession, project_id: UUID, now: datetime
) -> list[dict[str, Any]]:
    """Per (status, category, priority): tasks, overdue, and on-time figures of done tasks."""
    rows = await session.execute(
        text(
            f"""
            SELECT status, category, priority, count(*) AS n,
                   count(*) FILTER (WHERE category IN {_OPEN} AND due_at < :now) AS overdue,
                   count(*) FILTER (WHERE category = 'done' AND due_at IS NOT NULL) AS due_done,
                   count(*) FILTER (WHERE category = 'done' AND completed_at <= due_at)
                     AS on_time
            FROM task_facts
            WHERE project_id = :p AND NOT deleted
            GROUP BY status, category, priority
            """
        ),
        {"p": project_id, "now": now},
    )
    return [dict(r._mapping) for r in rows]


async def summary_durations(session: AsyncSession, project_id: UUID) -> dict[str, Any]:
    """Median and p90 of cycle time (started->completed) and lead time (created->completed)."""
    row = (
        await session.execute(
            text(
                """
                SELECT
                  count(*) FILTER (WHERE started_at IS NOT NULL) AS cycle_n,
                  percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (
                    ORDER BY extract(epoch FROM completed_at - started_at))
                    FILTER (WHERE started_at IS NOT NULL) AS cycle,
                  count(*) AS lead_n,
                  percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (
                    ORDER BY extract(epoch FROM completed_at - created_at)) AS lead
                FROM task_facts
                WHERE project_id = :p AND category = 'done' AND NOT deleted
                  AND completed_at IS NOT NULL
                """
            ),
            {"p": project_id},
        )
    ).one()
    return dict(row._mapping)


def _bounds(periods: list[Bucket]) -> list[datetime]:
    return [b.start for b in periods] + [periods[-1].end]


async def throughput(
    session: AsyncSession, project_id: UUID, periods: list[Bucket]
) -> dict[int, tuple[int, int]]:
    """Created and completed per period (1-based period index -> (created, completed)).

    `width_bucket` against the sorted UTC bounds puts each instant in its period, so days of
    23 or 25 hours (DST) need no special case.
    """
    bounds = _bounds(periods)
    params = {"p": project_id, "bounds": bounds, "lo": bounds[0], "hi": bounds[-1]}
    created = await session.execute(
        text(
            "SELECT width_bucket(created_at, CAST(:bounds AS timestamptz[])) AS i, count(*) "
            "FROM task_facts WHERE project_id = :p AND NOT deleted "
            "AND created_at >= :lo AND created_at < :hi GROUP BY 1"
        ),
        params,
    )
    completed = await session.execute(
        text(
            "SELECT width_bucket(completed_at, CAST(:bounds AS timestamptz[])) AS i, count(*) "
            "FROM task_facts WHERE project_id = :p AND NOT deleted AND category = 'done' "
            "AND completed_at >= :lo AND completed_at < :hi GROUP BY 1"
        ),
        params,
    )
    out: dict[int, tuple[int, int]] = {}
    for i, n in created:
        out[i] = (n, out.get(i, (0, 0))[1])
    for i, n in completed:
        out[i] = (out.get(i, (0, 0))[0], n)
    return out


# The state of each task at each period end: the version in force at that instant is the one
# that started before it and was not yet followed by the next version.
_STATE_AT_ENDS = """
WITH ends AS (
  SELECT * FROM unnest(CAST(:labels AS date[]), CAST(:ends AS timestamptz[])) AS d(label, e)
),
iv AS (
  SELECT v.task_id, v.status, v.category, v.deleted, v.due_at, v.milestone_id, v.at AS vfrom,
         lead(v.at) OVER (PARTITION BY v.task_id ORDER BY v.version) AS vto
  FROM task_versions v
  WHERE {scope} AND v.at < :last_end
)
"""


async def cumulative_flow(
    session: AsyncSession, project_id: UUID, days: list[Bucket]
) -> dict[date, dict[str, Any]]:
    """Per day: tasks in each status and each category at the end of the day, and how many
    open ones were overdue (`{"status": {...}, "category": {...}, "overdue": n}`)."""
    sql = (
        _STATE_AT_ENDS.format(scope="v.project_id = :p")
        + f"""
SELECT d.label, iv.status, iv.category, count(*) AS n,
       count(*) FILTER (WHERE iv.category IN {_OPEN} AND iv.due_at < d.e) AS overdue
FROM ends d
JOIN iv ON iv.vfrom < d.e AND (iv.vto IS NULL OR iv.vto >= d.e)
WHERE NOT iv.deleted
GROUP BY d.label, iv.status, iv.category
"""
    )
    rows = await session.execute(
        text(sql),
        {
            "p": project_id,
            "labels": [b.label for b in days],
            "ends": [b.end for b in days],
            "last_end": days[-1].end,
        },
    )
    out: dict[date, dict[str, Any]] = {}
    for label, status, category, n, overdue in rows:
        day = out.setdefault(label, {"status": {}, "category": {}, "overdue": 0})
        day["status"][status] = day["status"].get(status, 0) + n
        day["category"][category] = day["category"].get(category, 0) + n
        day["overdue"] += overdue
    return out


async def milestone_project(session: AsyncSession, milestone_id: UUID) -> UUID | None:
    """The project a milestone belongs to (from the milestone or from any of its tasks)."""
    return (
        await session.execute(
            text(
                "SELECT project_id FROM milestones WHERE milestone_id = :m "
                "UNION ALL "
                "(SELECT project_id FROM task_versions WHERE milestone_id = :m LIMIT 1) LIMIT 1"
            ),
            {"m": milestone_id},
        )
    ).scalar_one_or_none()


async def milestone_info(session: AsyncSession, milestone_id: UUID) -> dict[str, Any] | None:
    """Title, due date and creation time of a milestone, when its events were seen."""
    row = (
        await session.execute(
            text("SELECT title, due_date, created_at FROM milestones WHERE milestone_id = :m"),
            {"m": milestone_id},
        )
    ).one_or_none()
    return dict(row._mapping) if row is not None else None


async def milestone_first_seen(session: AsyncSession, milestone_id: UUID) -> datetime | None:
    """When the first task entered the milestone."""
    value: datetime | None = (
        await session.execute(
            text("SELECT min(at) FROM task_versions WHERE milestone_id = :m"),
            {"m": milestone_id},
        )
    ).scalar_one()
    return value


async def burndown(
    session: AsyncSession, milestone_id: UUID, days: list[Bucket]
) -> dict[date, dict[str, int]]:
    """Per day end: tasks in the milestone by category (history-aware: scope changes count)."""
    scope = "v.task_id IN (SELECT DISTINCT task_id FROM task_versions WHERE milestone_id = :m)"
    sql = (
        _STATE_AT_ENDS.format(scope=scope)
        + """
SELECT d.label, iv.category, count(*) AS n
FROM ends d
JOIN iv ON iv.vfrom < d.e AND (iv.vto IS NULL OR iv.vto >= d.e)
WHERE NOT iv.deleted AND iv.milestone_id = :m
GROUP BY d.label, iv.category
"""
    )
    rows = await session.execute(
        text(sql),
        {
            "m": milestone_id,
            "labels": [b.label for b in days],
            "ends": [b.end for b in days],
            "last_end": days[-1].end,
        },
    )
    out: dict[date, dict[str, int]] = {}
    for label, category, n in rows:
        out.setdefault(label, {})[category] = n
    return out


# Credit: a task counts for "assigned" and "overdue" under its current assignees, and for
# "completed", on-time and cycle time under `completed_by` (the assignees when the final run
# of done began), so re-assigning a finished task does not move the credit for it.
# `credit` rows carry `cur` (a current assignment) and `fin` (a completion credit).
_CREDIT = """
  SELECT a.user_id, a.project_id, f.category, f.due_at, f.completed_at, f.started_at,
         true AS cur, false AS fin
  FROM task_assignees a JOIN task_facts f ON f.task_id = a.task_id
  WHERE {assigned} AND NOT f.deleted
  UNION ALL
  SELECT u.user_id, f.project_id, f.category, f.due_at, f.completed_at, f.started_at,
         false AS cur, true AS fin
  FROM task_facts f CROSS JOIN LATERAL unnest(f.completed_by) AS u(user_id)
  WHERE {completed} AND f.category = 'done' AND f.completed_by <> '{{}}' AND NOT f.deleted
"""

_TEAM_CREDIT = _CREDIT.format(assigned="a.project_id = :p", completed="f.project_id = :p")
_MY_CREDIT = _CREDIT.format(
    assigned="a.user_id = :u", completed="f.completed_by @> ARRAY[CAST(:u AS uuid)]"
)

_PER_ASSIGNEE = f"""
  count(*) FILTER (WHERE f.cur) AS assigned,
  count(*) FILTER (WHERE f.fin) AS completed,
  count(*) FILTER (WHERE f.fin AND f.due_at IS NOT NULL) AS due_done,
  count(*) FILTER (WHERE f.fin AND f.completed_at <= f.due_at) AS on_time,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM f.completed_at - f.started_at))
    FILTER (WHERE f.fin AND f.started_at IS NOT NULL) AS median_cycle,
  count(*) FILTER (WHERE f.cur AND f.category IN {_OPEN} AND f.due_at < :now) AS overdue
"""


async def team(session: AsyncSession, project_id: UUID, now: datetime) -> list[dict[str, Any]]:
    """Per current member and per anyone assigned to a live task: their figures in the project."""
    rows = await session.execute(
        text(
            f"""
            WITH figures AS (
              SELECT f.user_id, {_PER_ASSIGNEE}
              FROM ({_TEAM_CREDIT}) f
              GROUP BY f.user_id
            ),
            people AS (
              SELECT user_id, role FROM members WHERE project_id = :p AND active
            )
            SELECT coalesce(p.user_id, fg.user_id) AS user_id, p.role,
                   coalesce(fg.assigned, 0) AS assigned, coalesce(fg.completed, 0) AS completed,
                   coalesce(fg.due_done, 0) AS due_done, coalesce(fg.on_time, 0) AS on_time,
                   fg.median_cycle, coalesce(fg.overdue, 0) AS overdue
            FROM people p FULL JOIN figures fg ON fg.user_id = p.user_id
            ORDER BY 1
            """
        ),
        {"p": project_id, "now": now},
    )
    return [dict(r._mapping) for r in rows]


async def my_figures(session: AsyncSession, user_id: UUID, now: datetime) -> list[dict[str, Any]]:
    """My figures per live project I am a member of, plus a total row (project_id NULL)."""
    rows = await session.execute(
        text(
            f"""
            SELECT f.project_id, {_PER_ASSIGNEE}
            FROM ({_MY_CREDIT}) f
            JOIN members m ON m.project_id = f.project_id AND m.user_id = f.user_id AND m.active
            LEFT JOIN projects pr ON pr.project_id = f.project_id
            WHERE f.user_id = :u AND NOT coalesce(pr.deleted, false)
            GROUP BY GROUPING SETS ((f.project_id), ())
            ORDER BY f.project_id NULLS FIRST
            """
        ),
        {"u": user_id, "now": now},
    )
    return [dict(r._mapping) for r in rows]
