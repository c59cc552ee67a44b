"""Consumer handlers of `user.*` events: keep the users projection current."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.events.contracts.users import UserDeactivated, UserRegistered, UserUpdated
from taskflow.tasks.users import repository as repo


async def handle_user_event(session: AsyncSession, envelope: Any, event: Any) -> None:
    """Apply one `user.*` event to the projection (idempotent: an upsert)."""
    when = getattr(envelope, "time", None)
    if isinstance(event, UserRegistered):
        await repo.upsert(
            session,
            user_id=event.user_id,
            email=event.email,
            display_name=event.display_name,
            timezone=event.timezone,
            is_active=True,
            source_time=when,
        )
    elif isinstance(event, UserUpdated):
        await repo.upsert(
            session,
            user_id=event.user_id,
            email=event.email,
            display_name=event.display_name,
            timezone=event.timezone,
            is_active=event.is_active,
            source_time=when,
        )
    elif isinstance(event, UserDeactivated):
        await repo.upsert(session, user_id=event.user_id, is_active=False, source_time=when)
