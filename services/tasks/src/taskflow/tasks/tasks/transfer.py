"""Export a project's tasks (CSV or JSON) and import tasks from CSV with a per-row report."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from taskflow.common.errors import ProblemError, Unprocessable
from taskflow.common.spreadsheet import escape_formula
from taskflow.tasks.labels import repository as labels_repo
from taskflow.tasks.projects import repository as projects_repo
from taskflow.tasks.projects.auth import ProjectAccess
from taskflow.tasks.tasks import repository as repo
from taskflow.tasks.tasks import service
from taskflow.tasks.tasks.models import PRIORITIES
from taskflow.tasks.tasks.schemas import ImportReport, ImportRowResult, TaskCreate

COLUMNS = (
    "key", "title", "description", "status", "priority", "labels", "assignees", "due_at",
    "start_at", "estimate_minutes", "progress", "created_at", "completed_at",
)  # fmt: skip
IMPORT_COLUMNS = frozenset(
    {"title", "description", "status", "priority", "labels", "assignees", "due_at", "start_at",
     "estimate_minutes", "progress"}
)  # fmt: skip


def _cell(value: Any) -> str:
    """A CSV cell, escaped so that spreadsheets never run it as a formula."""
    text = "" if value is None else value.isoformat() if hasattr(value, "isoformat") else str(value)
    return escape_formula(text)


#: Rows fetched per round trip from the server-side cursor of an export.
EXPORT_BATCH = 500


async def export_json(
    sessions: async_sessionmaker[AsyncSession], project_id: uuid.UUID
) -> AsyncIterator[bytes]:
    """Every live task of the project as a JSON array, streamed a batch at a time.

    Runs in its own session and transaction (the request's is over once the route returned),
    so memory stays at one batch whatever the size of the project.
    """
    async with sessions() as db, db.begin():
        await repo.read_only_snapshot(db)
        first = True
        yield b"["
        async for batch in repo.stream_live_tasks(db, project_id, EXPORT_BATCH):
            parts = [service.to_read(t, k).model_dump_json().encode() for t, k in batch]
            if parts:
                yield (b"" if first else b",") + b",".join(parts)
                first = False
        yield b"]"


async def export_csv(
    sessions: async_sessionmaker[AsyncSession], project_id: uuid.UUID
) -> AsyncIterator[bytes]:
    """Every live task of the project as CSV (labels by name, assignees by email or id).

    Streamed a batch at a time from one read-only snapshot, like `export_json`.
    """
    async with sessions() as db, db.begin():
        await repo.read_only_snapshot(db)
        labels = await labels_repo.project_label_names(db, project_id)
        emails = dict(await projects_repo.member_emails(db, project_id))
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        yield out.getvalue().encode()
        async for batch in repo.stream_live_tasks(db, project_id, EXPORT_BATCH):
            out.seek(0)
            out.truncate()
            for t, key in batch:
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
            yield out.getvalue().encode()


def _csv_problem(line: int, msg: str, kind: str) -> Unprocessable:
    return Unprocessable(
        f"The CSV cannot be read at line {line}: {msg}.",
        errors=[{"loc": ["body", line], "msg": msg, "type": kind}],
    )


def _rows(reader: csv.DictReader[str]) -> Iterator[dict[str | Any, str | Any]]:
    """The reader's rows; a syntax error (a field over the parser's limit) is a 422."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # csv counts the lines it finished; the bad one is the next. Its message names
            # the limit, never the data.
            raise _csv_problem(reader.line_num + 1, str(exc), "csv_syntax") from None
        yield row


async def import_csv(
    db: AsyncSession, access: ProjectAccess, text: str, *, max_rows: int
) -> ImportReport:
    """Create a task per valid row; refuse the others with reasons (one transaction)."""
    access.require_writable()
    if "\x00" in text:
        # PostgreSQL text cannot hold NUL; the line is where to look.
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise _csv_problem(line, "NUL characters are not allowed", "csv_nul")
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = set(reader.fieldnames or [])
    except csv.Error as exc:
        raise _csv_problem(reader.line_num + 1, str(exc), "csv_syntax") from None
    if "title" not in header:
        raise Unprocessable(
            "The CSV needs a header row with at least a title column.",
            errors=[{"loc": ["body", "title"], "msg": "missing column", "type": "csv_header"}],
        )
    label_ids = await labels_repo.labels_by_name(db, access.project_id)
    members = await projects_repo.member_emails(db, access.project_id)
    by_ref = {str(uid): uid for uid, _ in members} | {e.lower(): uid for uid, e in members if e}
    report: list[ImportRowResult] = []
    for n, raw in enumerate(_rows(reader), start=2):  # row 1 is the header
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
                    # A row's fields are CSV columns, not a JSON body: `status`, not
                    # `body.status` (an unknown status is found by the create itself).
                    errors=[
                        {**e, "loc": [p for p in e["loc"] if p != "body"]}
                        for e in exc.extra.get("errors") or []
                    ]
                    or [{"loc": [], "msg": exc.detail or exc.title, "type": exc.code}],
                )
            )
    created = sum(1 for r in report if r.status == "created")
    return ImportReport(created=created, refused=len(report) - created, rows=report)
