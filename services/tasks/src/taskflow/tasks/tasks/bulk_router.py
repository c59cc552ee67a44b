"""HTTP route of bulk task changes."""

from __future__ import annotations

from fastapi import APIRouter

from taskflow.common.db import SessionDep
from taskflow.common.errors import Conflict, errors
from taskflow.common.scopes import Scope
from taskflow.common.security import CurrentPrincipal, require_scope
from taskflow.tasks.tasks import bulk
from taskflow.tasks.tasks.schemas import BulkRequest, BulkResult

router = APIRouter(prefix="/api/v1/tasks", tags=["bulk"])


@router.post(
    "/bulk",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    response_model=BulkResult,
    operation_id="tasks_bulk",
    responses=errors(Conflict),
)
async def bulk_change(body: BulkRequest, who: CurrentPrincipal, db: SessionDep) -> BulkResult:
    """Update, move, delete or restore up to 500 tasks, all or nothing."""
    return await bulk.run(db, who, body)
