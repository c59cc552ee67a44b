"""HTTP routes of the caller's own in-app notifications."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from taskflow.common.db import ReadSessionDep, SessionDep
from taskflow.common.errors import NotFound, Unauthorized, Unprocessable, errors
from taskflow.common.pagination import Page, PageParamsDep
from taskflow.common.scopes import Scope
from taskflow.common.security import CurrentPrincipal, require_scope
from taskflow.notifications.deps import ContextDep
from taskflow.notifications.notifications import service
from taskflow.notifications.notifications.schemas import (
    NotificationRead,
    ReadAllResult,
    UnreadCount,
)

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])


@router.get(
    "",
    dependencies=[require_scope(Scope.NOTIFICATIONS_READ)],
    operation_id="notifications_list",
    response_model=Page[NotificationRead],
    responses=errors(Unauthorized, Unprocessable),
)
async def list_notifications(
    who: CurrentPrincipal,
    db: ReadSessionDep,
    page: PageParamsDep,
    unread: Annotated[bool, Query(description="Only unread notifications.")] = False,
) -> Page[NotificationRead]:
    """List the caller's notifications, newest first."""
    return await service.list_page(db, who.user_id, unread_only=unread, params=page)


@router.get(
    "/unread-count",
    dependencies=[require_scope(Scope.NOTIFICATIONS_READ)],
    operation_id="notifications_unread_count",
    response_model=UnreadCount,
    responses=errors(Unauthorized),
)
async def unread_count(who: CurrentPrincipal, db: SessionDep, ctx: ContextDep) -> UnreadCount:
    """Count the caller's unread notifications."""
    return UnreadCount(count=await service.unread_count(db, ctx, who.user_id))


@router.post(
    "/read-all",
    dependencies=[require_scope(Scope.NOTIFICATIONS_WRITE)],
    operation_id="notifications_read_all",
    response_model=ReadAllResult,
    responses=errors(Unauthorized),
)
async def read_all(who: CurrentPrincipal, db: SessionDep, ctx: ContextDep) -> ReadAllResult:
    """Mark all of the caller's notifications read."""
    return ReadAllResult(updated=await service.mark_all_read(db, ctx, who.user_id))


@router.post(
    "/{notification_id}/read",
    dependencies=[require_scope(Scope.NOTIFICATIONS_WRITE)],
    operation_id="notifications_read",
    response_model=NotificationRead,
    responses=errors(Unauthorized, NotFound, Unprocessable),
)
async def read_one(
    notification_id: uuid.UUID, who: CurrentPrincipal, db: SessionDep, ctx: ContextDep
) -> NotificationRead:
    """Mark one of the caller's notifications read."""
    return await service.mark_read(db, ctx, who.user_id, notification_id)


@router.delete(
    "/{notification_id}",
    dependencies=[require_scope(Scope.NOTIFICATIONS_WRITE)],
    operation_id="notifications_delete",
    status_code=204,
    response_class=Response,
    responses=errors(Unauthorized, NotFound, Unprocessable),
)
async def delete_one(
    notification_id: uuid.UUID, who: CurrentPrincipal, db: SessionDep, ctx: ContextDep
) -> Response:
    """Delete one of the caller's notifications."""
    await service.delete(db, ctx, who.user_id, notification_id)
    return Response(status_code=204)
