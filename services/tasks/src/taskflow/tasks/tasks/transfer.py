"""Export a project's tasks (CSV or JSON) and import tasks from CSV with a per-row report."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.errors import ProblemError, Unprocessable
from taskflow.tasks.labels.models import Label
from taskflow.tasks.projects.auth import ProjectAccess
from taskflow.tasks.projects.models import Member, Project
from taskflow.tasks.tasks import service
from taskflow.tasks.tasks.models import PRIORITIES, Task
from taskflow.tasks.tasks.schemas import ImportReport, ImportRowResult, TaskCreate, TaskRead
from taskflow.tasks.users.models import User

COLUMNS = (
    "key", "title", "description", "status", "priority", "labels", "assignees", "due_at",
    "start_at", "estimate_minutes", "progress", "created_at", "completed_at",
)  # fmt: skip
IMPORT_COLUMNS = frozenset(
    {"title", "description", "status", "priority", "labels", "assignees", "due_at", "start_at",
     "estimate_minutes", "progress"}
)  # fmt: skip


def _cell(value: Any) -> str:
    """A CSV cell; a leading = + - @ is escaped so spreadsheets do not run it as a formula."""
    text = "" if value is None else value.isoformat() if hasattr(value, "isoformat") else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


async def _rows(db: AsyncSession, project_id: uuid.UUID) -> list[tuple[Task, str]]:
    rows = await db.execute(
        select(Task, Project.key)
        .join(Project, Project.id == Task.project_id)
        .where(Task.project_id == project_id, Task.deleted_at.is_(None))
        .order_by(Task.number)
    )
    return [(t, k) for t, k in rows.all()]


async def export_json(db: AsyncSession, access: ProjectAccess) -> list[TaskRead]:
    """Every live task of the project."""
    return [service.to_read(t, k) for t, k in await _rows(db, access.project_id)]


async def export_csv(db: AsyncSession, access: ProjectAccess) -> str:
    """Every live task of the project as CSV (labels by name, assignees by email or id)."""
    labels = dict(
        (
            await db.execute(
                select(Label.id, Label.name).where(Label.project_id == access.project_id)
            )
        ).all()
    )
    emails = dict(
        (
            await db.execute(
                select(Member.user_id, User.email)
                .outerjoin(User, User.id == Member.user_id)
                .where(Member.project_id == access.project_id)
            )
        ).all()
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for t, key in await _rows(db, access.project_id):
        writer.writerow(
            [
                _cell(v)
                for v in (
                    f"{key}-{t.number}",
                    t.title,
                    t.description,
                    t.status,
                    PRIORITIES[t.priority],
                    ";".join(labels.get(x, str(x)) for x in t.label_ids),
                    ";".join(emails.get(x) or str(x) for x in t.assignee_ids),
                    t.due_at,
                    t.start_at,
                    t.estimate_minutes,
                    t.progress,
                    t.created_at,
                    t.completed_at,
                )
            ]
        )
    return out.getvalue()


async def import_csv(
    db: AsyncSession, access: ProjectAccess, text: str, *, max_rows: int
) -> ImportReport:
    """Create a task per valid row; refuse the others with reasons (one transaction)."""
    access.require_writable()
    reader = csv.DictReader(io.StringIO(text))
    header = set(reader.fieldnames or [])
    if "title" not in header:
        raise Unprocessable(
            "The CSV needs a header row with at least a title column.",
            errors=[{"loc": ["body", "title"], "msg": "missing column", "type": "csv_header"}],
        )
    label_ids = {
        name.lower(): lid
        for lid, name in (
            await db.execute(
                select(Label.id, Label.name).where(Label.project_id == access.project_id)
            )
        ).all()
    }
    members = (
        await db.execute(
            select(Member.user_id, User.email)
            .outerjoin(User, User.id == Member.user_id)
            .where(Member.project_id == access.project_id)
        )
    ).all()
    by_ref = {str(uid): uid for uid, _ in members} | {e.lower(): uid for uid, e in members if e}
    report: list[ImportRowResult] = []
    for n, raw in enumerate(reader, start=2):  # row 1 is the header
        if len(report) >= max_rows:
            raise Unprocessable(
                f"At most {max_rows} rows per import.",
                errors=[{"loc": ["body"], "msg": "too many rows", "type": "csv_rows"}],
            )
        row = {k: (v or "").strip() for k, v in raw.items() if k in IMPORT_COLUMNS}
        errors: list[dict[str, Any]] = []
        data: dict[str, Any] = {
            k: v for k, v in row.items() if v and k not in ("labels", "assignees")
        }
        for name in (x for x in row.get("labels", "").split(";") if x.strip()):
            lid = label_ids.get(name.strip().lower())
            if lid is None:
                errors.append(
                    {
                        "loc": ["labels"],
                        "msg": f"unknown label {name.strip()}",
                        "type": "unknown_label",
                    }
                )
            else:
                data.setdefault("label_ids", []).append(lid)
        for ref in (x for x in row.get("assignees", "").split(";") if x.strip()):
            uid = by_ref.get(ref.strip().lower())
            if uid is None:
                errors.append(
                    {
                        "loc": ["assignees"],
                        "msg": f"not a member: {ref.strip()}",
                        "type": "not_a_member",
                    }
                )
            else:
                data.setdefault("assignee_ids", []).append(uid)
        body: TaskCreate | None = None
        try:
            body = TaskCreate.model_validate(data)
        except ValidationError as exc:
            errors += [
                {"loc": [str(p) for p in e["loc"]], "msg": e["msg"], "type": e["type"]}
                for e in exc.errors()
            ]
        if errors or body is None:
            report.append(ImportRowResult(row=n, status="refused", errors=errors))
            continue
        try:
            async with db.begin_nested():
                task = await service.create(db, access, body)
            report.append(ImportRowResult(row=n, status="created", task_id=task.id, key=task.key))
        except ProblemError as exc:
            report.append(
                ImportRowResult(
                    row=n,
                    status="refused",
                    errors=exc.extra.get("errors")
                    or [{"loc": [], "msg": exc.detail or exc.title, "type": exc.code}],
                )
            )
    created = sum(1 for r in report if r.status == "created")
    return ImportReport(created=created, refused=len(report) - created, rows=report)
