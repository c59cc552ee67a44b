"""What the WebSocket reads from the database: the user's projects and the notifications a
reconnecting socket missed. The socket code stays about the protocol; the SQL stays in the
repositories of the domains that own the rows.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.notifications.notifications import repository as notifications
from taskflow.notifications.notifications.service import live_message
from taskflow.notifications.projections import repository as projections


async def projects_of(session: AsyncSession, user_id: uuid.UUID) -> set[uuid.UUID]:
    """The projects whose events the user's socket receives (from the membership projection)."""
    return await projections.projects_of(session, user_id)


async def missed_messages(
    session: AsyncSession, user_id: uuid.UUID, since: datetime, limit: int
) -> list[dict[str, Any]]:
    """The live messages of the user's notifications created after `since`, oldest first, at
    most `limit`: what a socket that resumes replays.
    """
    rows = await notifications.created_since(session, user_id, since, limit)
    return [live_message(row) for row in rows]
