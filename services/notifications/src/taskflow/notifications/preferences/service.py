"""Rules of preferences: read with defaults, merge a change."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.notifications.context import Context
from taskflow.notifications.db import utcnow
from taskflow.notifications.deliveries import repository as deliveries
from taskflow.notifications.deliveries.state import Channel
from taskflow.notifications.preferences import repository
from taskflow.notifications.preferences.schemas import (
    Kind,
    PreferencesRead,
    PreferencesUpdate,
    resolve,
    to_read,
)
from taskflow.notifications.projections import repository as projections


async def get(session: AsyncSession, user_id: uuid.UUID) -> PreferencesRead:
    """The user's preferences with defaults filled in."""
    return to_read(await repository.get(session, user_id))


async def update(
    session: AsyncSession,
    user_id: uuid.UUID,
    change: PreferencesUpdate,
    *,
    ctx: Context | None = None,
) -> PreferencesRead:
    """Apply a change; kinds not named keep their setting.

    Turning the calendar channel on queues calendar entries for the open, dated tasks already
    assigned to the user (later changes keep them in step).
    """
    current = await repository.get(session, user_id)
    was_on = resolve(current.kinds if current else None)[Kind.TASK_DUE].calendar
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
    saved = to_read(await repository.save(session, user_id, values))
    if ctx is not None and not was_on and saved.kinds[Kind.TASK_DUE].calendar:
        await _backfill_calendar(session, ctx, user_id)
    return saved


async def _backfill_calendar(session: AsyncSession, ctx: Context, user_id: uuid.UUID) -> None:
    """Queue one calendar delivery per open, dated task assigned to the user."""
    if ctx.settings.caldav_url is None:
        return
    now = ctx.clock()
    tasks = await projections.open_tasks_due_for(session, user_id)
    rows = [
        deliveries.new_row(
            channel=Channel.CALENDAR,
            kind="calendar_sync",
            user_id=user_id,
            task_id=task.id,
            dedupe_key=f"calendar:on:{user_id}:{task.id}:{now.isoformat()}",
            payload={"task_id": str(task.id)},
            max_attempts=ctx.settings.delivery_max_attempts,
            now=now,
        )
        for task in tasks
    ]
    await deliveries.enqueue(session, rows)
