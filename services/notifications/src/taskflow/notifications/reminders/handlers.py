"""Task events -> reminder rows: each snapshot says which reminders and overdue notices exist."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.tracing import current_request_id, current_traceparent
from taskflow.events.contracts.tasks import TaskEvent, TaskSnapshot
from taskflow.events.envelope import Envelope
from taskflow.notifications.projections.handlers import TaskChange, is_open
from taskflow.notifications.reminders import repository as reminders
from taskflow.notifications.reminders.schedule import wanted


def reminder_times(snapshot: TaskSnapshot) -> list[datetime]:
    """Absolute reminder times of a task (relative ones need a due date)."""
    out: list[datetime] = []
    for r in snapshot.reminders:
        if r.at is not None:
            out.append(r.at)
        elif r.before_minutes is not None and snapshot.due_at is not None:
            out.append(snapshot.due_at - timedelta(minutes=r.before_minutes))
    return sorted(set(out))


async def sync_reminders(
    session: AsyncSession, envelope: Envelope, event: TaskEvent, change: TaskChange
) -> None:
    """Keep the task's reminder rows in step; a stale snapshot moves nothing, and a task that
    never had a date costs no statement (the common case in a batch)."""
    if change.stale:
        return
    snap, before = event.task, change.before
    times = reminder_times(snap)
    if before.due_at is None and not before.reminders and not snap.due_at and not times:
        return
    await reminders.sync(
        session,
        snap.task_id,
        wanted(
            open_=is_open(snap), due_at=snap.due_at, reminders=times, assignees=snap.assignee_ids
        ),
        not_before=envelope.time,
        # The handler runs under the event's trace (its consumer span when export is on):
        # the reminder's mail, sent later by the scheduler, carries it on.
        traceparent=current_traceparent(),
        request_id=current_request_id(),
    )
