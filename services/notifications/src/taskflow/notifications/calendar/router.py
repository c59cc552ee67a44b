"""Routes of the private ICS feed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from taskflow.common.db import SessionDep
from taskflow.common.errors import NotFound, Unauthorized, Unprocessable, errors
from taskflow.common.scopes import Scope
from taskflow.common.security import CurrentPrincipal, public, require_scope
from taskflow.notifications.calendar import feed
from taskflow.notifications.calendar.schemas import FeedRead
from taskflow.notifications.deps import ContextDep

router = APIRouter(prefix="/api/v1/calendar", tags=["calendar"])


@router.post(
    "/feed",
    dependencies=[require_scope(Scope.NOTIFICATIONS_WRITE)],
    operation_id="calendar_feed_rotate",
    response_model=FeedRead,
    responses=errors(Unauthorized),
)
async def rotate_feed(who: CurrentPrincipal, db: SessionDep, ctx: ContextDep) -> FeedRead:
    """Make a new private feed URL for the caller; the previous one stops working."""
    secret = await feed.rotate(db, who.user_id)
    base = ctx.settings.public_base_url.rstrip("/")
    return FeedRead(url=base + feed.FEED_PATH.format(secret=secret))


@router.get(
    "/feeds/{secret}.ics",
    dependencies=[public("calendar apps send no token; the secret in the URL is the credential")],
    operation_id="calendar_feed_get",
    response_class=Response,
    responses={
        200: {"content": {"text/calendar": {"schema": {"type": "string"}}}, "description": "ICS"},
        **errors(NotFound, Unprocessable),
    },
)
async def get_feed(
    secret: Annotated[str, Path(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")],
    db: SessionDep,
    ctx: ContextDep,
) -> Response:
    """The feed's calendar: the open tasks with a due date assigned to its owner."""
    body = await feed.render(db, secret, base_url=ctx.settings.spa_base_url, now=ctx.clock())
    return Response(
        content=body,
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300", "Referrer-Policy": "no-referrer"},
    )
