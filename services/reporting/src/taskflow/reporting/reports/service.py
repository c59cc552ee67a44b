"""Report rules: who may see what, and how raw aggregates become the figures we promise.

Definitions (also in docs/services/reporting.md):
- completion rate = done / live tasks that are not cancelled;
- on-time rate = done tasks completed on or before their due time / done tasks with a due time;
- cycle time = completed_at - started_at (first in_progress), lead time = completed_at -
  created_at; median and p90 are PostgreSQL's `percentile_cont` (interpolated);
- overdue = open (todo, in_progress, blocked) with a due time before now (or before the end of
  the day, in daily series).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.errors import NotFound
from taskflow.reporting.projection.history import (
    CATEGORIES,
    OPEN_CATEGORIES,
    PRIORITIES,
    STATUSES,
)
from taskflow.reporting.reports import repository
from taskflow.reporting.reports.errors import ProjectNotFound, TeamForbidden
from taskflow.reporting.reports.periods import Interval, buckets, resolve_range
from taskflow.reporting.reports.schemas import (
    BurndownPoint,
    BurndownRead,
    CumulativeFlowRead,
    DurationStats,
    FlowPoint,
    MemberFigures,
    MeRead,
    MyProject,
    SummaryRead,
    TeamMember,
    TeamRead,
    ThroughputPoint,
    ThroughputRead,
)

TEAM_ROLES = frozenset({"owner", "admin"})


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600.0, 4)


def _rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


async def require_member(
    db: AsyncSession, project_id: UUID, user_id: UUID, *, roles: frozenset[str] | None = None
) -> str:
    """The caller's role; 404 for non-members (ids do not leak), 403 when the role is short."""
    role = await repository.member_role(db, project_id, user_id)
    if role is None:
        raise ProjectNotFound()
    if roles is not None and role not in roles:
        raise TeamForbidden()
    return role


async def summary(
    db: AsyncSession, user_id: UUID, project_id: UUID, tz: ZoneInfo, *, now: datetime | None = None
) -> SummaryRead:
    """Counts by status and priority, overdue, rates and duration percentiles of a project."""
    await require_member(db, project_id, user_id)
    now = now or datetime.now(UTC)
    rows = await repository.summary_counts(db, project_id, now)
    by_status = dict.fromkeys(STATUSES, 0)
    by_category = dict.fromkeys(CATEGORIES, 0)
    by_priority = dict.fromkeys(PRIORITIES, 0)
    overdue = due_done = on_time = 0
    for r in rows:
        by_status[r["status"]] = by_status.get(r["status"], 0) + r["n"]
        by_category[r["category"]] = by_category.get(r["category"], 0) + r["n"]
        by_priority[r["priority"]] = by_priority.get(r["priority"], 0) + r["n"]
        overdue += r["overdue"]
        due_done += r["due_done"]
        on_time += r["on_time"]
    total = sum(by_status.values())
    d = await repository.summary_durations(db, project_id)
    cycle = d["cycle"] or [None, None]
    lead = d["lead"] or [None, None]
    return SummaryRead(
        project_id=project_id,
        archived=await repository.project_archived(db, project_id),
        as_of=await repository.project_as_of(db, project_id),
        tz=tz.key,
        total=total,
        by_status=by_status,
        by_category=by_category,
        by_priority=by_priority,
        overdue=overdue,
        completion_rate=_rate(by_category["done"], total - by_category["cancelled"]),
        on_time_rate=_rate(on_time, due_done),
        cycle_time=DurationStats(
            count=d["cycle_n"], median_hours=_hours(cycle[0]), p90_hours=_hours(cycle[1])
        ),
        lead_time=DurationStats(
            count=d["lead_n"], median_hours=_hours(lead[0]), p90_hours=_hours(lead[1])
        ),
    )


async def throughput(
    db: AsyncSession,
    user_id: UUID,
    project_id: UUID,
    tz: ZoneInfo,
    *,
    interval: Interval,
    start: date | None,
    end: date | None,
) -> ThroughputRead:
    """Tasks created and completed per day or week of the range."""
    await require_member(db, project_id, user_id)
    first, last = resolve_range(start, end, tz)
    periods = buckets(first, last, tz, interval)
    counts = await repository.throughput(db, project_id, periods)
    items = [
        ThroughputPoint(period_start=b.label, created=c[0], completed=c[1])
        for i, b in enumerate(periods, start=1)
        for c in [counts.get(i, (0, 0))]
    ]
    return ThroughputRead(
        project_id=project_id,
        as_of=await repository.project_as_of(db, project_id),
        tz=tz.key,
        interval=interval,
        from_date=first,
        to_date=last,
        items=items,
    )


async def cumulative_flow(
    db: AsyncSession,
    user_id: UUID,
    project_id: UUID,
    tz: ZoneInfo,
    *,
    start: date | None,
    end: date | None,
) -> CumulativeFlowRead:
    """Per day of the range: tasks in each status and category at the day's end, open and
    overdue (open and completion by category, never by a status name)."""
    await require_member(db, project_id, user_id)
    first, last = resolve_range(start, end, tz)
    days = buckets(first, last, tz)
    counts = await repository.cumulative_flow(db, project_id, days)
    items = []
    for b in days:
        c = counts.get(b.label, {})
        names: dict[str, int] = c.get("status", {})
        categories = {k: c.get("category", {}).get(k, 0) for k in CATEGORIES}
        items.append(
            FlowPoint(
                day=b.label,
                **{s: names.get(s, 0) for s in STATUSES},
                by_status={**dict.fromkeys(STATUSES, 0), **names},
                by_category=categories,
                open=sum(categories[k] for k in OPEN_CATEGORIES),
                overdue=c.get("overdue", 0),
            )
        )
    return CumulativeFlowRead(
        project_id=project_id,
        as_of=await repository.project_as_of(db, project_id),
        tz=tz.key,
        items=items,
    )


async def burndown(
    db: AsyncSession,
    user_id: UUID,
    milestone_id: UUID,
    tz: ZoneInfo,
    *,
    start: date | None,
    end: date | None,
) -> BurndownRead:
    """Scope, done and remaining per day for a milestone, with the ideal straight line.

    Without `from`, the range starts on the day the milestone (or its first task) appeared;
    without `to`, it ends on the milestone's due date, or today when it has none.
    """
    project_id = await repository.milestone_project(db, milestone_id)
    if project_id is None:
        raise NotFound("No such milestone.", code="milestone_not_found")
    try:
        await require_member(db, project_id, user_id)
    except ProjectNotFound:
        raise NotFound("No such milestone.", code="milestone_not_found") from None
    info = await repository.milestone_info(db, milestone_id) or {}
    if start is None:
        seen = info.get("created_at") or await repository.milestone_first_seen(db, milestone_id)
        start = seen.astimezone(tz).date() if seen is not None else None
    if end is None:
        end = info.get("due_date")
        if start is not None and end is not None and end < start:
            end = None
    first, last = resolve_range(start, end, tz)
    days = buckets(first, last, tz)
    counts = await repository.burndown(db, milestone_id, days)
    rows = []
    for b in days:
        c = counts.get(b.label, {})
        open_ = sum(c.get(k, 0) for k in OPEN_CATEGORIES)
        done = c.get("done", 0)
        rows.append((b.label, open_ + done, done, open_))
    start_scope = rows[0][1]
    n = len(rows)
    items = [
        BurndownPoint(
            day=day,
            scope=scope,
            done=done,
            remaining=remaining,
            ideal=round(start_scope * (1 - i / (n - 1)), 4) if n > 1 else 0.0,
        )
        for i, (day, scope, done, remaining) in enumerate(rows)
    ]
    return BurndownRead(
        milestone_id=milestone_id,
        project_id=project_id,
        title=info.get("title"),
        due_date=info.get("due_date"),
        as_of=await repository.project_as_of(db, project_id),
        tz=tz.key,
        items=items,
    )


def _figures(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "assigned": r["assigned"],
        "completed": r["completed"],
        "on_time_rate": _rate(r["on_time"], r["due_done"]),
        "median_cycle_hours": _hours(r["median_cycle"]),
        "overdue": r["overdue"],
    }


async def team(
    db: AsyncSession, user_id: UUID, project_id: UUID, tz: ZoneInfo, *, now: datetime | None = None
) -> TeamRead:
    """Per member figures; only the project's admins and owners may see them."""
    await require_member(db, project_id, user_id, roles=TEAM_ROLES)
    rows = await repository.team(db, project_id, now or datetime.now(UTC))
    return TeamRead(
        project_id=project_id,
        as_of=await repository.project_as_of(db, project_id),
        tz=tz.key,
        items=[TeamMember(user_id=r["user_id"], role=r["role"], **_figures(r)) for r in rows],
    )


_EMPTY = {
    "assigned": 0,
    "completed": 0,
    "due_done": 0,
    "on_time": 0,
    "median_cycle": None,
    "overdue": 0,
}


async def me(
    db: AsyncSession, user_id: UUID, tz: ZoneInfo, *, now: datetime | None = None
) -> MeRead:
    """My figures per project I am a member of, and over all of them."""
    rows = await repository.my_figures(db, user_id, now or datetime.now(UTC))
    totals = next((r for r in rows if r["project_id"] is None), _EMPTY)
    return MeRead(
        user_id=user_id,
        as_of=await repository.global_as_of(db),
        tz=tz.key,
        totals=MemberFigures(**_figures(totals)),
        projects=[
            MyProject(project_id=r["project_id"], **_figures(r))
            for r in rows
            if r["project_id"] is not None
        ],
    )
