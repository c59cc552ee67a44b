"""HTTP routes of the retention policy and legal holds (auditors and admins only)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response, status

from taskflow.audit.auth import Auditor
from taskflow.audit.retention import service
from taskflow.audit.retention.schemas import (
    LegalHoldCreate,
    LegalHoldRead,
    RetentionRead,
    RetentionUpdate,
)
from taskflow.common.concurrency import IfMatch, set_etag
from taskflow.common.db import SessionDep
from taskflow.common.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    Unauthorized,
    Unprocessable,
    errors,
)
from taskflow.common.scopes import Scope
from taskflow.common.security import require_scope

router = APIRouter(prefix="/api/v1/audit", tags=["retention"])
AUTH_ERRORS = (Unauthorized, Forbidden)


@router.get(
    "/retention",
    dependencies=[require_scope(Scope.AUDIT_READ)],
    operation_id="retention_get",
    response_model=RetentionRead,
    responses=errors(*AUTH_ERRORS),
)
async def get_retention(
    request: Request, response: Response, who: Auditor, db: SessionDep
) -> RetentionRead:
    """The retention period in force."""
    settings = request.app.state.settings
    policy = await service.get_policy(
        db, settings.default_retention_days, settings.retention_floor_days
    )
    set_etag(response, policy.version)
    return policy


@router.put(
    "/retention",
    dependencies=[require_scope(Scope.AUDIT_WRITE)],
    operation_id="retention_update",
    response_model=RetentionRead,
    responses=errors(*AUTH_ERRORS, PreconditionFailed, Unprocessable),
)
async def put_retention(
    body: RetentionUpdate,
    request: Request,
    response: Response,
    who: Auditor,
    db: SessionDep,
    if_match: IfMatch,
) -> RetentionRead:
    """Set the retention period, never below the floor (If-Match honoured; recorded in the log)."""
    settings = request.app.state.settings
    policy = await service.set_policy(
        db,
        who,
        body.days,
        expected_version=if_match,
        default_days=settings.default_retention_days,
        floor_days=settings.retention_floor_days,
    )
    set_etag(response, policy.version)
    return policy


@router.get(
    "/legal-holds",
    dependencies=[require_scope(Scope.AUDIT_READ)],
    operation_id="legal_holds_list",
    response_model=list[LegalHoldRead],
    responses=errors(*AUTH_ERRORS),
)
async def list_legal_holds(who: Auditor, db: SessionDep) -> list[LegalHoldRead]:
    """Every project under legal hold."""
    return await service.list_holds(db)


@router.post(
    "/legal-holds/{project_id}",
    dependencies=[require_scope(Scope.AUDIT_WRITE)],
    operation_id="legal_holds_create",
    status_code=status.HTTP_201_CREATED,
    response_model=LegalHoldRead,
    responses=errors(*AUTH_ERRORS, Conflict, Unprocessable),
)
async def create_legal_hold(
    project_id: uuid.UUID, who: Auditor, db: SessionDep, body: LegalHoldCreate | None = None
) -> LegalHoldRead:
    """Keep a project's entries whatever their age (recorded in the log)."""
    return await service.place_hold(db, who, project_id, body.reason if body else None)


@router.delete(
    "/legal-holds/{project_id}",
    dependencies=[require_scope(Scope.AUDIT_WRITE)],
    operation_id="legal_holds_delete",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=errors(*AUTH_ERRORS, NotFound, Unprocessable),
)
async def delete_legal_hold(project_id: uuid.UUID, who: Auditor, db: SessionDep) -> Response:
    """Lift a legal hold (recorded in the log)."""
    await service.lift_hold(db, who, project_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
