"""SQL of reminders: sync a task's wanted rows, claim due rows once across workers."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.notifications.db import new_id
from taskflow.notifications.reminders.models import Reminder
from taskflow.notifications.reminders.schedule import Wanted


async def sync(
    session: AsyncSession,
    task_id: uuid.UUID,
    wanted: Iterable[Wanted],
    *,
    not_before: datetime,
    traceparent: str | None = None,
    request_id: str | None = None,
) -> None:
    """Make the task's unfired rows exactly `wanted`; fired rows are kept (they never refire).

    A wanted time already past when the change happened (`not_before`) is not added: that is a
    reminder set in the past, not one missed while we were down. Rows added keep `traceparent`
    and `request_id` (the scheduling event's); rows kept keep the trace they were made under.
    """
    wanted = set(wanted)
    existing = list(
        await session.scalars(
            select(Reminder).where(Reminder.task_id == task_id, Reminder.fired_at.is_(None))
        )
    )
    keep = {Wanted(r.user_id, r.kind, r.fire_at) for r in existing}
    stale = [r.id for r in existing if Wanted(r.user_id, r.kind, r.fire_at) not in wanted]
    if stale:
        await session.execute(delete(Reminder).where(Reminder.id.in_(stale)))
    new = [w for w in wanted - keep if w.fire_at >= not_before]
    if new:
        stmt = insert(Reminder).values(
            [
                {
                    "id": new_id(),
                    "task_id": task_id,
                    "user_id": w.user_id,
                    "kind": w.kind,
                    "fire_at": w.fire_at,
                    "traceparent": traceparent,
                    "request_id": request_id,
                }
                for w in new
            ]
        )
        await session.execute(
            stmt.on_conflict_do_nothing(index_elements=["task_id", "user_id", "kind", "fire_at"])
        )


async def claim_due(session: AsyncSession, now: datetime, limit: int) -> list[Reminder]:
    """Mark up to `limit` due rows fired and return them; concurrent schedulers skip them.

    The marker is written in the caller's transaction together with the notifications it
    causes, so a crash before the commit leaves the row unfired and it fires on the next run.
    """
    ids = (
        select(Reminder.id)
        .where(Reminder.fired_at.is_(None), Reminder.fire_at <= now)
        .order_by(Reminder.fire_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    stmt = update(Reminder).where(Reminder.id.in_(ids)).values(fired_at=now).returning(Reminder)
    rows = await session.scalars(stmt, execution_options={"populate_existing": True})
    return sorted(rows.all(), key=lambda r: r.fire_at)


async def next_due(session: AsyncSession) -> datetime | None:
    """When the next unfired reminder is due (lets the scheduler sleep until then)."""
    stmt = select(Reminder.fire_at).where(Reminder.fired_at.is_(None)).order_by(Reminder.fire_at)
    return (await session.scalars(stmt.limit(1))).first()
