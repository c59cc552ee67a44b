"""Response models of the reports (durations in hours, rates as fractions 0..1)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

Format = Literal["json", "csv"]


class _Read(BaseModel):
    model_config = ConfigDict(frozen=True)


class Freshness(_Read):
    """How fresh a report is and which day boundaries it used."""

    as_of: datetime | None = Field(
        description="Time of the newest event applied for this report's scope (null: none yet)."
    )
    tz: str = Field(description="IANA time zone of the day boundaries.")


class DurationStats(_Read):
    """Median and 90th percentile (continuous) of a duration, in hours."""

    count: int = Field(description="How many completed tasks the figures are computed from.")
    median_hours: float | None
    p90_hours: float | None


class SummaryRead(Freshness):
    """Counts and rates of one project's live (not deleted) tasks."""

    project_id: UUID
    archived: bool = Field(
        description="The project is archived (read-only); its figures stay reportable."
    )
    total: int
    by_status: dict[str, int] = Field(
        description="Per status name: the default workflow's five always, then any others."
    )
    by_category: dict[str, int] = Field(
        description="Per status category (backlog, todo, in_progress, done, cancelled)."
    )
    by_priority: dict[str, int]
    overdue: int = Field(description="Open tasks whose due time has passed.")
    completion_rate: float | None = Field(
        description="done category / (all live tasks except the cancelled category); null when "
        "there are none."
    )
    on_time_rate: float | None = Field(
        description="Done tasks completed on or before their due time / done tasks with a due "
        "time; null when there are none."
    )
    cycle_time: DurationStats = Field(
        description="From first entering the in_progress category to completion."
    )
    lead_time: DurationStats = Field(description="From creation to completion.")


class ThroughputPoint(_Read):
    """Tasks created and completed in one period."""

    period_start: date
    created: int
    completed: int


class ThroughputRead(Freshness):
    """Created vs completed per day or ISO week (Monday first)."""

    project_id: UUID
    interval: Literal["day", "week"]
    from_date: date = Field(alias="from")
    to_date: date = Field(alias="to")
    items: list[ThroughputPoint]

    model_config = ConfigDict(frozen=True, populate_by_name=True, serialize_by_alias=True)


class FlowPoint(_Read):
    """Tasks in each status and each category at the end of one day, and how many open ones
    were overdue. `todo` ... `cancelled` count the default workflow's statuses of those names
    (kept for clients from before workflows); `by_status` has every status name."""

    day: date
    todo: int
    in_progress: int
    blocked: int
    done: int
    cancelled: int
    by_status: dict[str, int] = Field(description="Per status name.")
    by_category: dict[str, int] = Field(description="Per status category, all five.")
    open: int = Field(description="Tasks in the backlog, todo and in_progress categories.")
    overdue: int


class CumulativeFlowRead(Freshness):
    """Status counts per day (the daily snapshots: open, done, overdue per day)."""

    project_id: UUID
    items: list[FlowPoint]


class BurndownPoint(_Read):
    """A milestone's scope and remaining work at the end of one day."""

    day: date
    scope: int = Field(description="Live, not cancelled tasks in the milestone.")
    done: int
    remaining: int
    ideal: float = Field(description="Remaining work on a straight line to zero at the end.")


class BurndownRead(Freshness):
    """Remaining work of a milestone per day."""

    milestone_id: UUID
    project_id: UUID
    title: str | None
    due_date: date | None
    items: list[BurndownPoint]


class MemberFigures(_Read):
    """One person's figures over the tasks currently assigned to them."""

    assigned: int
    completed: int
    on_time_rate: float | None
    median_cycle_hours: float | None
    overdue: int


class TeamMember(MemberFigures):
    """A member's figures in the project (role null: assigned, but no longer a member)."""

    user_id: UUID
    role: str | None


class TeamRead(Freshness):
    """Per-member figures of a project (admins and owners only)."""

    project_id: UUID
    items: list[TeamMember]


class MyProject(MemberFigures):
    """My figures in one project."""

    project_id: UUID


class MeRead(Freshness):
    """My figures across every project I am a member of."""

    user_id: UUID
    totals: MemberFigures
    projects: list[MyProject]
