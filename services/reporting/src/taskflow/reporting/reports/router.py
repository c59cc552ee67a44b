"""HTTP routes of the reports: translate query parameters, call the service, pick JSON or CSV."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any, TypeVar
from uuid import UUID

from fastapi import APIRouter, Query, Response

from taskflow.common.db import SessionDep
from taskflow.common.errors import Forbidden, NotFound, Unauthorized, Unprocessable, errors
from taskflow.common.scopes import Scope
from taskflow.common.security import require_scope
from taskflow.reporting.reports import csv, service
from taskflow.reporting.reports.auth import Reader, TimeZone
from taskflow.reporting.reports.periods import MAX_DAYS, Interval, InvalidRange
from taskflow.reporting.reports.schemas import (
    BurndownRead,
    CumulativeFlowRead,
    Format,
    MeRead,
    SummaryRead,
    TeamRead,
    ThroughputRead,
)

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

T = TypeVar("T")

FormatQ = Annotated[
    Format, Query(alias="format", description="`csv` for a download with a header row.")
]
FromQ = Annotated[
    date | None,
    Query(alias="from", description="First local day (default: 29 days before `to`)."),
]
ToQ = Annotated[date | None, Query(alias="to", description="Last local day (default: today).")]
CSV_DOC: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}}
}


def _responses(*classes: type[Exception]) -> dict[int | str, dict[str, Any]]:
    out = dict(CSV_DOC)
    out.update(errors(Unauthorized, *classes))  # type: ignore[arg-type]
    return out


async def _ranged(call: Callable[[], Awaitable[T]]) -> T:
    """Run a ranged report; an inverted or too long range is a 422 naming `from`."""
    try:
        return await call()
    except InvalidRange as exc:
        raise Unprocessable(
            str(exc),
            code="invalid_range",
            errors=[
                {
                    "loc": ["query", "from"],
                    "msg": f"from must not be after to, and the range at most {MAX_DAYS} days",
                    "type": "range",
                }
            ],
        ) from None


def _csv(body: str, name: str) -> Response:
    return Response(
        content=body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@router.get(
    "/projects/{project_id}/summary",
    dependencies=[require_scope(Scope.REPORTS_READ)],
    operation_id="summary_get",
    response_model=SummaryRead,
    responses=_responses(NotFound, Unprocessable),
)
async def get_summary(
    project_id: UUID, who: Reader, db: SessionDep, tz: TimeZone, fmt: FormatQ = "json"
) -> SummaryRead | Response:
    """Counts, overdue, completion and on-time rates, cycle and lead time of a project."""
    result = await service.summary(db, who.user_id, project_id, tz)
    return _csv(csv.summary(result), "summary") if fmt == "csv" else result


@router.get(
    "/projects/{project_id}/throughput",
    dependencies=[require_scope(Scope.REPORTS_READ)],
    operation_id="throughput_get",
    response_model=ThroughputRead,
    responses=_responses(NotFound, Unprocessable),
)
async def get_throughput(
    project_id: UUID,
    who: Reader,
    db: SessionDep,
    tz: TimeZone,
    start: FromQ = None,
    end: ToQ = None,
    interval: Annotated[Interval, Query(description="Bucket size.")] = "day",
    fmt: FormatQ = "json",
) -> ThroughputRead | Response:
    """Tasks created and completed per day or week."""
    result = await _ranged(
        lambda: service.throughput(
            db, who.user_id, project_id, tz, interval=interval, start=start, end=end
        )
    )
    return _csv(csv.throughput(result), "throughput") if fmt == "csv" else result


@router.get(
    "/projects/{project_id}/cumulative-flow",
    dependencies=[require_scope(Scope.REPORTS_READ)],
    operation_id="cumulative_flow_get",
    response_model=CumulativeFlowRead,
    responses=_responses(NotFound, Unprocessable),
)
async def get_cumulative_flow(
    project_id: UUID,
    who: Reader,
    db: SessionDep,
    tz: TimeZone,
    start: FromQ = None,
    end: ToQ = None,
    fmt: FormatQ = "json",
) -> CumulativeFlowRead | Response:
    """Tasks per status at the end of each day, with open and overdue counts."""
    result = await _ranged(
        lambda: service.cumulative_flow(db, who.user_id, project_id, tz, start=start, end=end)
    )
    return _csv(csv.cumulative_flow(result), "cumulative-flow") if fmt == "csv" else result


@router.get(
    "/milestones/{milestone_id}/burndown",
    dependencies=[require_scope(Scope.REPORTS_READ)],
    operation_id="burndown_get",
    response_model=BurndownRead,
    responses=_responses(NotFound, Unprocessable),
)
async def get_burndown(
    milestone_id: UUID,
    who: Reader,
    db: SessionDep,
    tz: TimeZone,
    start: FromQ = None,
    end: ToQ = None,
    fmt: FormatQ = "json",
) -> BurndownRead | Response:
    """Scope, done and remaining tasks of a milestone per day, with the ideal line."""
    result = await _ranged(
        lambda: service.burndown(db, who.user_id, milestone_id, tz, start=start, end=end)
    )
    return _csv(csv.burndown(result), "burndown") if fmt == "csv" else result


@router.get(
    "/projects/{project_id}/team",
    dependencies=[require_scope(Scope.REPORTS_READ)],
    operation_id="team_get",
    response_model=TeamRead,
    responses=_responses(Forbidden, NotFound, Unprocessable),
)
async def get_team(
    project_id: UUID, who: Reader, db: SessionDep, tz: TimeZone, fmt: FormatQ = "json"
) -> TeamRead | Response:
    """Per-member figures of a project (its admins and owners only)."""
    result = await service.team(db, who.user_id, project_id, tz)
    return _csv(csv.team(result), "team") if fmt == "csv" else result


@router.get(
    "/me",
    dependencies=[require_scope(Scope.REPORTS_READ)],
    operation_id="me_get",
    response_model=MeRead,
    responses=_responses(Unprocessable),
)
async def get_me(
    who: Reader, db: SessionDep, tz: TimeZone, fmt: FormatQ = "json"
) -> MeRead | Response:
    """My figures across all projects I am a member of."""
    result = await service.me(db, who.user_id, tz)
    return _csv(csv.me(result), "me") if fmt == "csv" else result
