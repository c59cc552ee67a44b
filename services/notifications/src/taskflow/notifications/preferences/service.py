"""Rules of preferences: read with defaults, merge a change."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.notifications.db import utcnow
from taskflow.notifications.preferences import repository
from taskflow.notifications.preferences.models import Preferences
from taskflow.notifications.preferences.schemas import (
    PreferencesRead,
    PreferencesUpdate,
    resolve,
)


def _read(row: Preferences | None) -> PreferencesRead:
    if row is None:
        return PreferencesRead(kinds=resolve(None))
    return PreferencesRead(
        kinds=resolve(row.kinds),
        digest=row.digest,
        digest_hour=row.digest_hour,
    )


async def get(session: AsyncSession, user_id: uuid.UUID) -> PreferencesRead:
    """The user's preferences with defaults filled in."""
    return _read(await repository.get(session, user_id))


async def update(
    session: AsyncSession, user_id: uuid.UUID, change: PreferencesUpdate
) -> PreferencesRead:
    """Apply a change; kinds not named keep their setting."""
    current = await repository.get(session, user_id)
    kinds = dict(current.kinds) if current else {}
    for kind, channels in (change.kinds or {}).items():
        kinds[kind.value] = channels.model_dump()
    values = {
        "kinds": kinds,
        "digest": change.digest or (current.digest if current else "off"),
        "digest_hour": change.digest_hour
        if change.digest_hour is not None
        else (current.digest_hour if current else 8),
        "updated_at": utcnow(),
    }
    return _read(await repository.save(session, user_id, values))
