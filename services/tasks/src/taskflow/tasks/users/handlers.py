"""Consumer handlers of `user.*` events: keep the users projection current, and let a newly
verified address join the projects it was invited to."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.events.contracts.users import UserDeactivated, UserRegistered, UserUpdated
from taskflow.tasks.invitations import service as invitations
from taskflow.tasks.users import repository as repo


async def handle_user_event(session: AsyncSession, envelope: Any, event: Any) -> None:
    """Apply one `user.*` event to the projection (idempotent: an upsert), then honour the
    invitations of the address when auth reports it verified (idempotent: an accepted
    invitation is no longer pending). Every verified event looks, not only the one that
    flipped `email_verified`: an address changed to (and verified as) an invited one joins
    too, and an invitation made while the projection lagged is still found."""
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
        if event.email_verified:
            await invitations.accept_for(session, event.user_id, event.email)
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
        if event.email_verified and event.is_active:
            await invitations.accept_for(session, event.user_id, event.email)
    elif isinstance(event, UserDeactivated):
        await repo.upsert(session, user_id=event.user_id, is_active=False, source_time=when)
