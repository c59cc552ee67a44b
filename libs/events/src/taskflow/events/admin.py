"""A FastAPI router for admins: list and replay the parked messages of one queue.

Mount it under the service's own prefix, guarded by a role::

    app.include_router(
        parking_router("audit.events", lambda request: request.app.state.settings
                       .amqp_url.get_secret_value(), require_roles("admin")),
        prefix="/api/v1/audit/admin",
    )
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from taskflow.common.errors import ServiceUnavailable, errors
from taskflow.events.lifecycle import BROKER_ERRORS
from taskflow.events.parking import list_parked, replay_parked


def _broker_away() -> ServiceUnavailable:
    return ServiceUnavailable(
        "The message broker cannot be reached; try again shortly.", code="broker_unavailable"
    )


class ParkedItem(BaseModel):
    """One parked message (sensitive event fields redacted)."""

    message_id: str | None
    event_type: str | None
    routing_key: str
    error: str
    attempts: int
    parked_at: str | None
    envelope: dict[str, Any] | None = None
    body_preview: str | None = None


class ParkedList(BaseModel):
    """Parked messages, oldest first."""

    queue: str
    items: list[ParkedItem]


class ReplayRequest(BaseModel):
    """Which parked messages to replay; omit ``message_ids`` to replay them all."""

    message_ids: list[str] | None = Field(default=None, max_length=10_000)


class ReplayResult(BaseModel):
    """How many parked messages went back to the queue."""

    queue: str
    replayed: int


def parking_router(
    queue: str,
    amqp_url_getter: Callable[[Request], str],
    guard: Callable[..., Any],
    *,
    exchange: str = "taskflow.events",
    tag: str = "admin",
) -> APIRouter:
    """Routes ``GET /parked`` and ``POST /parked/replay`` for ``queue``, each behind ``guard``."""
    router = APIRouter(tags=[tag], dependencies=[Depends(guard)])
    slug = queue.replace(".", "_").replace("-", "_")

    @router.get(
        "/parked",
        response_model=ParkedList,
        operation_id=f"parked_{slug}_list",
        responses=errors(ServiceUnavailable),
    )
    async def list_parked_messages(
        request: Request, limit: int = Query(default=50, ge=1, le=500)
    ) -> ParkedList:
        """List messages parked after failing (oldest first)."""
        try:
            items = await list_parked(amqp_url_getter(request), queue, limit)
        except BROKER_ERRORS as exc:
            raise _broker_away() from exc
        return ParkedList(queue=queue, items=[ParkedItem(**m.as_dict()) for m in items])

    @router.post(
        "/parked/replay",
        response_model=ReplayResult,
        operation_id=f"parked_{slug}_replay",
        responses=errors(ServiceUnavailable),
    )
    async def replay_parked_messages(request: Request, body: ReplayRequest) -> ReplayResult:
        """Send parked messages back to the queue for another try."""
        try:
            count = await replay_parked(amqp_url_getter(request), queue, exchange, body.message_ids)
        except BROKER_ERRORS as exc:
            raise _broker_away() from exc
        return ReplayResult(queue=queue, replayed=count)

    return router
