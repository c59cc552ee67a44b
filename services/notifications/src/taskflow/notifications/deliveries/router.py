"""Admin routes: see deliveries and send a failed one again."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from taskflow.common.db import SessionDep
from taskflow.common.errors import (
    Conflict,
    Forbidden,
    NotFound,
    Unauthorized,
    Unprocessable,
    errors,
)
from taskflow.common.pagination import Page, PageParamsDep
from taskflow.common.scopes import Scope
from taskflow.common.security import AdminPrincipal, require_scope
from taskflow.notifications.deliveries import repository
from taskflow.notifications.deliveries.schemas import DeliveryRead, DeliveryStatus
from taskflow.notifications.deliveries.state import Status, retry_allowed
from taskflow.notifications.deps import ContextDep
from taskflow.notifications.post_commit import on_commit

router = APIRouter(prefix="/api/v1/notifications/deliveries", tags=["deliveries"])


@router.get(
    "",
    dependencies=[require_scope(Scope.ADMIN)],
    operation_id="deliveries_list",
    response_model=Page[DeliveryRead],
    responses=errors(Unauthorized, Forbidden, Unprocessable),
)
async def list_deliveries(
    _admin: AdminPrincipal,
    db: SessionDep,
    page: PageParamsDep,
    status: Annotated[DeliveryStatus | None, Query(description="Only this status.")] = None,
) -> Page[DeliveryRead]:
    """List deliveries, newest first (admin)."""
    out = await repository.page(db, status=status, page=page)
    return Page[DeliveryRead](
        items=[DeliveryRead.model_validate(d) for d in out.items], next_cursor=out.next_cursor
    )


@router.post(
    "/{delivery_id}/retry",
    dependencies=[require_scope(Scope.ADMIN)],
    operation_id="deliveries_retry",
    response_model=DeliveryRead,
    responses=errors(Unauthorized, Forbidden, NotFound, Conflict, Unprocessable),
)
async def retry_delivery(
    delivery_id: uuid.UUID, _admin: AdminPrincipal, db: SessionDep, ctx: ContextDep
) -> DeliveryRead:
    """Send a failed delivery again now, with one more attempt allowed (admin)."""
    row = await repository.get_for_update(db, delivery_id)
    if row is None:
        raise NotFound("No such delivery.", code="delivery_not_found")
    if not retry_allowed(row.status) or row.payload is None:
        raise Conflict("Only a failed or pending delivery can be retried.", code="not_retryable")
    now = ctx.clock()
    row.status = Status.PENDING.value
    row.next_attempt_at = now
    row.max_attempts = max(row.max_attempts, row.attempts + 1)
    row.updated_at = now
    await db.flush()

    async def wake() -> None:
        ctx.wake_sender()

    on_commit(db, wake)
    return DeliveryRead.model_validate(row)
