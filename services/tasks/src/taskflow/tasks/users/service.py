"""Look-ups in the users projection, and filling it from auth's answers when it lags.

The projection is fed by `user.*` events; a member added a second after signing up may not be
in it yet, so a router that asked auth remembers the answer here.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.tasks.users import repository
from taskflow.tasks.users.client import RemoteUser
from taskflow.tasks.users.models import User


async def get(db: AsyncSession, user_id: uuid.UUID) -> User | None:
    """The projected user with this id, if the projection has seen them."""
    return await repository.get(db, user_id)


async def by_email(db: AsyncSession, email: str) -> User | None:
    """The projected user with this address, if the projection has seen them."""
    return await repository.by_email(db, email)


async def remember(db: AsyncSession, remote: RemoteUser) -> User | None:
    """Put a user auth just told us about into the projection (it may lag registration)."""
    await repository.upsert(
        db,
        user_id=remote.id,
        email=remote.email,
        display_name=remote.display_name,
        timezone=remote.timezone,
    )
    return await repository.get(db, remote.id)
