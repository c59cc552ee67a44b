"""HTTP routes of the caller's notification preferences."""

from __future__ import annotations

from fastapi import APIRouter

from taskflow.common.db import SessionDep
from taskflow.common.errors import Unauthorized, Unprocessable, errors
from taskflow.common.scopes import Scope
from taskflow.common.security import CurrentPrincipal, require_scope
from taskflow.notifications.deps import ContextDep
from taskflow.notifications.preferences import service
from taskflow.notifications.preferences.schemas import PreferencesRead, PreferencesUpdate

router = APIRouter(prefix="/api/v1/notifications/preferences", tags=["preferences"])


@router.get(
    "",
    dependencies=[require_scope(Scope.NOTIFICATIONS_READ)],
    operation_id="preferences_get",
    response_model=PreferencesRead,
    responses=errors(Unauthorized),
)
async def get_preferences(who: CurrentPrincipal, db: SessionDep) -> PreferencesRead:
    """Show the caller's preferences per kind and channel, and the digest setting."""
    return await service.get(db, who.user_id)


@router.put(
    "",
    dependencies=[require_scope(Scope.NOTIFICATIONS_WRITE)],
    operation_id="preferences_update",
    response_model=PreferencesRead,
    responses=errors(Unauthorized, Unprocessable),
)
async def put_preferences(
    change: PreferencesUpdate, who: CurrentPrincipal, db: SessionDep, ctx: ContextDep
) -> PreferencesRead:
    """Change the caller's preferences; kinds not named keep their setting."""
    return await service.update(db, who.user_id, change, ctx=ctx)
