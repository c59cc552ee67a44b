"""CSV renderings of the reports: a header row, then one row per period, member or metric.

A text cell that a spreadsheet would run as a formula is escaped (`escape_formula`, shared with
the tasks export); none of ours can start so (numbers, dates, uuids, fixed status names), but a
download must never execute anything if one ever does.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from taskflow.common.spreadsheet import escape_formula
from taskflow.reporting.reports.schemas import (
    BurndownRead,
    CumulativeFlowRead,
    MeRead,
    SummaryRead,
    TeamRead,
    ThroughputRead,
)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    return escape_formula(value) if isinstance(value, str) else value


def render(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV text with a header row (RFC 4180 line endings)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def summary(r: SummaryRead) -> str:
    """One `metric,value` row per figure."""
    rows: list[tuple[str, Any]] = [("total", r.total)]
    rows += [(f"status.{k}", v) for k, v in r.by_status.items()]
    rows += [(f"category.{k}", v) for k, v in r.by_category.items()]
    rows += [(f"priority.{k}", v) for k, v in r.by_priority.items()]
    rows += [
        ("overdue", r.overdue),
        ("completion_rate", r.completion_rate),
        ("on_time_rate", r.on_time_rate),
        ("cycle_time.count", r.cycle_time.count),
        ("cycle_time.median_hours", r.cycle_time.median_hours),
        ("cycle_time.p90_hours", r.cycle_time.p90_hours),
        ("lead_time.count", r.lead_time.count),
        ("lead_time.median_hours", r.lead_time.median_hours),
        ("lead_time.p90_hours", r.lead_time.p90_hours),
        ("as_of", r.as_of.isoformat() if r.as_of else None),
    ]
    return render(("metric", "value"), rows)


def throughput(r: ThroughputRead) -> str:
    return render(
        ("period_start", "created", "completed"),
        ((p.period_start.isoformat(), p.created, p.completed) for p in r.items),
    )


_FLOW = ("day", "todo", "in_progress", "blocked", "done", "cancelled", "open", "overdue")
_CATEGORIES = ("backlog", "todo", "in_progress", "done", "cancelled")


def cumulative_flow(r: CumulativeFlowRead) -> str:
    """The default workflow's status columns (as before workflows), then one per category.

    A project's own status names are in the JSON report's `by_status` only: CSV columns must
    not change with the data.
    """
    return render(
        (*_FLOW, *(f"category.{c}" for c in _CATEGORIES)),
        (
            [
                *(getattr(p, f) if f != "day" else p.day.isoformat() for f in _FLOW),
                *(p.by_category.get(c, 0) for c in _CATEGORIES),
            ]
            for p in r.items
        ),
    )


def burndown(r: BurndownRead) -> str:
    return render(
        ("day", "scope", "done", "remaining", "ideal"),
        ((p.day.isoformat(), p.scope, p.done, p.remaining, p.ideal) for p in r.items),
    )


_FIG = ("assigned", "completed", "on_time_rate", "median_cycle_hours", "overdue")


def team(r: TeamRead) -> str:
    return render(
        ("user_id", "role", *_FIG),
        ((str(m.user_id), m.role, *(getattr(m, f) for f in _FIG)) for m in r.items),
    )


def me(r: MeRead) -> str:
    rows = [("all", *(getattr(r.totals, f) for f in _FIG))]
    rows += [(str(p.project_id), *(getattr(p, f) for f in _FIG)) for p in r.projects]
    return render(("project_id", *_FIG), rows)
