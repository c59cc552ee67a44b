"""HTTP route of the compliance report (auditors and admins only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request

from taskflow.audit.auth import Auditor
from taskflow.audit.reports import service
from taskflow.audit.reports.schemas import ComplianceReport
from taskflow.common.errors import Forbidden, Unauthorized, Unprocessable, errors
from taskflow.common.scopes import Scope
from taskflow.common.security import require_scope

router = APIRouter(prefix="/api/v1/audit", tags=["reports"])


@router.get(
    "/reports/compliance",
    dependencies=[require_scope(Scope.AUDIT_READ)],
    operation_id="reports_compliance",
    response_model=ComplianceReport,
    response_model_by_alias=True,
    responses=errors(Unauthorized, Forbidden, Unprocessable),
)
async def compliance_report(
    request: Request,
    who: Auditor,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
) -> ComplianceReport:
    """Counts by type and actor, failed logins, role changes and deletions in a period."""
    return await service.compliance(request.app.state.snapshot, start, end)
