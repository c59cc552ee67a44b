"""HTTP routes of the log: search, get, verify, export (auditors and admins only)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from taskflow.audit.auth import Auditor
from taskflow.audit.entries import export, service
from taskflow.audit.entries.schemas import EntryRead, VerifyRead
from taskflow.common.db import SessionDep
from taskflow.common.errors import Forbidden, NotFound, Unauthorized, Unprocessable, errors
from taskflow.common.pagination import Page, PageParamsDep
from taskflow.common.scopes import Scope
from taskflow.common.security import require_scope

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])

AUTH_ERRORS = (Unauthorized, Forbidden)
From = Annotated[datetime | None, Query(alias="from", description="Inclusive lower bound.")]
To = Annotated[datetime | None, Query(alias="to", description="Exclusive upper bound.")]


@router.get(
    "/events",
    dependencies=[require_scope(Scope.AUDIT_READ)],
    operation_id="events_list",
    response_model=Page[EntryRead],
    responses=errors(*AUTH_ERRORS, Unprocessable),
)
async def list_events(
    who: Auditor,
    db: SessionDep,
    page: PageParamsDep,
    start: From = None,
    end: To = None,
    actor_id: uuid.UUID | None = None,
    subject: Annotated[str | None, Query(max_length=300)] = None,
    project_id: uuid.UUID | None = None,
    type: Annotated[str | None, Query(max_length=100)] = None,
    trace_id: Annotated[
        str | None,
        Query(
            pattern="^[0-9a-f]{32}$",
            description="Only the entries of one request (its W3C trace id, 32 hex digits).",
        ),
    ] = None,
) -> Page[EntryRead]:
    """Search the log by actor, subject, project, type, trace and time of the event (newest
    first)."""
    return await service.list_entries(
        db,
        page,
        actor_id=actor_id,
        subject=subject,
        project_id=project_id,
        type=type,
        occurred_from=start,
        occurred_to=end,
        trace_id=trace_id,
    )


@router.get(
    "/events/{event_id}",
    dependencies=[require_scope(Scope.AUDIT_READ)],
    operation_id="events_get",
    response_model=EntryRead,
    responses=errors(*AUTH_ERRORS, NotFound, Unprocessable),
)
async def get_event(event_id: uuid.UUID, who: Auditor, db: SessionDep) -> EntryRead:
    """The entry that recorded one event, by the event's id."""
    return await service.get_entry(db, event_id)


@router.get(
    "/verify",
    dependencies=[require_scope(Scope.AUDIT_READ)],
    operation_id="chain_verify",
    response_model=VerifyRead,
    responses=errors(*AUTH_ERRORS, Unprocessable),
)
async def verify_chain(
    request: Request,
    who: Auditor,
    from_seq: Annotated[int | None, Query(ge=1)] = None,
    to_seq: Annotated[int | None, Query(ge=1)] = None,
) -> VerifyRead:
    """Recompute every hash and link of the chain (or of a window) and name the first break."""
    settings = request.app.state.settings
    return await service.verify(
        request.app.state.snapshot, from_seq=from_seq, to_seq=to_seq, chunk=settings.stream_chunk
    )


@router.get(
    "/export",
    dependencies=[require_scope(Scope.AUDIT_READ)],
    operation_id="events_export",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The entries, then a manifest line; the manifest also as headers.",
            "content": {
                "application/jsonl": {"schema": {"type": "string"}},
                "text/csv": {"schema": {"type": "string"}},
            },
        },
        **errors(*AUTH_ERRORS, Unprocessable),
    },
)
async def export_events(
    request: Request,
    who: Auditor,
    start: From = None,
    end: To = None,
    format: export.Format = "jsonl",
) -> StreamingResponse:
    """Stream every entry recorded in a time window as JSON lines or CSV, with a manifest."""
    conn = await request.app.state.snapshot.connect()
    try:
        m = await export.manifest(conn, format, start, end)
    except BaseException:
        await conn.close()
        raise
    chunk = request.app.state.settings.stream_chunk
    return StreamingResponse(
        export.stream(conn, m, start, end, chunk=chunk),
        media_type=export.MEDIA_TYPES[format],
        headers={
            **export.manifest_headers(m),
            "Content-Disposition": f'attachment; filename="audit-export.{format}"',
            "Cache-Control": "no-store",
        },
    )
