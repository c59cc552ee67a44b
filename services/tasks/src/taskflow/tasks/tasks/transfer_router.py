"""HTTP routes of export and import."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from taskflow.common.db import SessionDep
from taskflow.common.errors import (
    Conflict,
    Forbidden,
    NotFound,
    Unprocessable,
    UnsupportedMediaType,
    errors,
)
from taskflow.common.scopes import Scope
from taskflow.common.security import require_scope
from taskflow.tasks.projects.auth import ProjectMember, ProjectViewer
from taskflow.tasks.tasks import transfer
from taskflow.tasks.tasks.schemas import ImportReport

router = APIRouter(prefix="/api/v1/projects", tags=["transfer"])


@router.get(
    "/{project_id}/export",
    dependencies=[require_scope(Scope.TASKS_READ)],
    operation_id="projects_export",
    responses={
        **errors(NotFound),
        200: {
            "description": "The tasks as CSV or JSON.",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/json": {
                    "schema": {"type": "array", "items": {"$ref": "#/components/schemas/TaskRead"}}
                },
            },
        },
    },
)
async def export_tasks(
    access: ProjectViewer, request: Request, format: Literal["csv", "json"] = "json"
) -> Response:
    """Every live task of the project as CSV or JSON, streamed."""
    sessions = request.app.state.db.sessionmaker
    if format == "csv":
        return StreamingResponse(
            transfer.export_csv(sessions, access.project_id),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="tasks.csv"'},
        )
    return StreamingResponse(
        transfer.export_json(sessions, access.project_id), media_type="application/json"
    )


@router.post(
    "/{project_id}/import",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    response_model=ImportReport,
    operation_id="projects_import",
    responses=errors(NotFound, Forbidden, Conflict, UnsupportedMediaType),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
async def import_tasks(access: ProjectMember, db: SessionDep, request: Request) -> ImportReport:
    """Create tasks from a CSV body (header row; title required) with a per-row report."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "text/csv":
        raise UnsupportedMediaType("Send the CSV as text/csv.")
    raw = await request.body()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Unprocessable(
            "The CSV must be UTF-8.",
            errors=[{"loc": ["body"], "msg": "not UTF-8", "type": "encoding"}],
        ) from None
    settings = request.app.state.settings
    return await transfer.import_csv(db, access, text, max_rows=settings.import_max_rows)
