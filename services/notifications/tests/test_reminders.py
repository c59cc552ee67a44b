"""Reminders and overdue notices with an injected clock: once, on time, across restarts."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from notifications_testkit import completed, created, snapshot, uid, updated, user
from sqlalchemy import select

from taskflow.common.tracing import bound, trace_id_of
from taskflow.events.contracts.tasks import Reminder
from taskflow.events.envelope import Envelope
from taskflow.notifications.deliveries.email import build_message
from taskflow.notifications.deliveries.models import Delivery
from taskflow.notifications.notifications.models import Notification
from taskflow.notifications.reminders.service import Scheduler

T0 = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)


async def _notes(sessionmaker: Any, kind: str | None = None) -> list[Notification]:
    async with sessionmaker() as s:
        stmt = select(Notification).order_by(Notification.created_at)
        if kind:
            stmt = stmt.where(Notification.kind == kind)
        return list(await s.scalars(stmt))


async def _task_with_reminder(apply: Any, alice: Any, *, due: datetime, before: int = 30) -> Any:
    actor, proj, task = uid(), uid(), uid()
    snap = snapshot(
        task,
        proj,
        creator=actor,
        assignees=[alice],
        due_at=due,
        reminders=[Reminder(before_minutes=before)],
    )
    env = Envelope.wrap(created(snap), source="taskflow/tasks", actor_id=actor, time=T0)
    await apply(None, envelope=env)
    return snap


async def test_reminder_fires_once_at_its_minute_also_after_restart(
    apply: Any, ctx: Any, sessionmaker: Any, clock: Any
) -> None:
    alice = uid()
    await _task_with_reminder(apply, alice, due=T0 + timedelta(hours=1))
    scheduler = Scheduler(ctx, sessionmaker)

    clock.set(T0 + timedelta(minutes=29, seconds=59))
    assert await scheduler.run_once() == 0
    clock.set(T0 + timedelta(minutes=30))
    assert await scheduler.run_once() == 1
    assert await scheduler.run_once() == 0
    # A new worker process (a restart) does not fire it again.
    restarted = Scheduler(ctx, sessionmaker)
    clock.set(T0 + timedelta(minutes=31))
    assert await restarted.run_once() == 0
    (note,) = await _notes(sessionmaker, "reminder")
    assert note.user_id == alice
    assert note.title == "Reminder: OPS-1 Reconcile ledger"
    assert note.data["late"] is False

    # The due time passes on the open task: one overdue notice.
    clock.set(T0 + timedelta(hours=1, seconds=1))
    assert await restarted.run_once() == 1
    assert [n.kind for n in await _notes(sessionmaker, "overdue")] == ["overdue"]


async def test_missed_reminder_fires_once_late(
    apply: Any, ctx: Any, sessionmaker: Any, clock: Any
) -> None:
    alice = uid()
    await _task_with_reminder(apply, alice, due=T0 + timedelta(hours=1))
    # The worker was down from T0 until well after the reminder time.
    clock.set(T0 + timedelta(minutes=50))
    assert await Scheduler(ctx, sessionmaker).run_once() == 1
    assert await Scheduler(ctx, sessionmaker).run_once() == 0
    (note,) = await _notes(sessionmaker, "reminder")
    assert note.data["late"] is True
    assert "sent late" in note.body


async def test_two_schedulers_race_and_fire_once(
    apply: Any, ctx: Any, sessionmaker: Any, clock: Any
) -> None:
    users = [uid() for _ in range(10)]
    for u in users:
        await _task_with_reminder(apply, u, due=T0 + timedelta(hours=1))
    clock.set(T0 + timedelta(minutes=30))
    a, b = Scheduler(ctx, sessionmaker), Scheduler(ctx, sessionmaker)
    counts = await asyncio.gather(
        a.run_once(limit=3), b.run_once(limit=3), a.run_once(), b.run_once()
    )
    assert sum(counts) == 10
    notes = await _notes(sessionmaker, "reminder")
    assert sorted(n.user_id for n in notes) == sorted(users)


async def test_due_change_moves_reminders_and_done_cancels_them(
    apply: Any, ctx: Any, sessionmaker: Any, clock: Any
) -> None:
    alice, actor = uid(), uid()
    snap = await _task_with_reminder(apply, alice, due=T0 + timedelta(hours=1))
    later = T0 + timedelta(hours=3)
    moved = snap.model_copy(update={"due_at": later, "version": 2})
    await apply(
        None,
        envelope=Envelope.wrap(
            updated(moved, due_at=(snap.due_at.isoformat(), later.isoformat())),
            source="taskflow/tasks",
            actor_id=actor,
            time=T0 + timedelta(minutes=1),
        ),
    )
    scheduler = Scheduler(ctx, sessionmaker)
    clock.set(T0 + timedelta(minutes=45))
    assert await scheduler.run_once() == 0  # the old time is gone
    clock.set(later - timedelta(minutes=30))
    assert await scheduler.run_once() == 1
    done = moved.model_copy(update={"status": "done", "version": 3})
    await apply(
        None,
        envelope=Envelope.wrap(
            completed(done),
            source="taskflow/tasks",
            actor_id=actor,
            time=later - timedelta(minutes=10),
        ),
    )
    clock.set(later + timedelta(minutes=1))
    assert await scheduler.run_once() == 0  # no overdue notice for a done task
    assert await _notes(sessionmaker, "overdue") == []


async def test_a_custom_done_status_stops_reminders_by_its_category(
    apply: Any, ctx: Any, sessionmaker: Any, clock: Any
) -> None:
    """A project's own `done` column ("Shipped") closes the task: the category decides."""
    alice, actor = uid(), uid()
    snap = await _task_with_reminder(apply, alice, due=T0 + timedelta(hours=1))
    shipped = snap.model_copy(
        update={
            "status": "Shipped",
            "status_id": uid(),
            "status_category": "done",
            "completed_at": T0,
            "version": 2,
        }
    )
    await apply(
        None,
        envelope=Envelope.wrap(
            completed(shipped), source="taskflow/tasks", actor_id=actor, time=T0
        ),
    )
    scheduler = Scheduler(ctx, sessionmaker)
    clock.set(T0 + timedelta(hours=2))
    assert await scheduler.run_once() == 0
    assert await _notes(sessionmaker, "reminder") == []
    assert await _notes(sessionmaker, "overdue") == []
    # A status *named* "done" whose category is in_progress keeps the task open.
    bob, proj, task = uid(), uid(), uid()
    busy = snapshot(
        task,
        proj,
        creator=actor,
        assignees=[bob],
        status="done",
        due_at=T0 + timedelta(hours=4),
        reminders=[Reminder(before_minutes=30)],
        status_id=uid(),
        status_category="in_progress",
    )
    await apply(
        None,
        envelope=Envelope.wrap(
            created(busy.model_copy(update={"completed_at": None})),
            source="taskflow/tasks",
            actor_id=actor,
            time=T0,
        ),
    )
    clock.set(T0 + timedelta(hours=3, minutes=30))
    assert await scheduler.run_once() == 1
    assert [n.user_id for n in await _notes(sessionmaker, "reminder")] == [bob]


async def test_the_reminder_mail_carries_the_trace_of_the_event_that_scheduled_it(
    apply: Any, ctx: Any, sessionmaker: Any, clock: Any
) -> None:
    """The scheduler fires outside any request or event: the mail keeps the scheduling
    event's trace (stored on the reminder row), so support can follow it from the request."""
    alice = uid()
    await apply(user(alice))
    trace = secrets.token_hex(16)
    # As the consumer runs a handler: under the event's trace and request id.
    with bound(f"00-{trace}-00f067aa0ba902b7-01", "req-reminder-1"):
        await _task_with_reminder(apply, alice, due=T0 + timedelta(hours=1))
    clock.set(T0 + timedelta(minutes=30))
    assert await Scheduler(ctx, sessionmaker).run_once() == 1
    async with sessionmaker() as s:
        (payload,) = (
            await s.scalars(
                select(Delivery.payload).where(
                    Delivery.channel == "email", Delivery.kind == "reminder"
                )
            )
        ).all()
    assert trace_id_of(payload["traceparent"]) == trace
    assert payload["request_id"] == "req-reminder-1"
    assert build_message(ctx.settings, "a@example.test", payload)["X-Trace-Id"] == trace
