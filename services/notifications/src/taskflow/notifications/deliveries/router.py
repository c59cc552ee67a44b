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
from taskflow.notifications.deliveries import service
from taskflow.notifications.deliveries.schemas import DeliveryRead, DeliveryStatus
from taskflow.notifications.deps import ContextDep

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
    return await service.list_deliveries(db, page, status=status)


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
    return await service.retry(db, ctx, delivery_id)
