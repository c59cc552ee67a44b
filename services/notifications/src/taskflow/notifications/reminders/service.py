"""The scheduler: fires due reminders and overdue notices once, and sends daily digests.

Every replica may run it: due rows are claimed with FOR UPDATE SKIP LOCKED and marked fired in
the same transaction as the notifications they cause, so each fires exactly once, across
restarts and replicas. A reminder missed while no scheduler ran fires on the next pass, late
(and says so). The clock is injected so tests move time instead of waiting for it.
"""

from __future__ import annotations

import asyncio
import contextlib
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from taskflow.common.logging import get_logger
from taskflow.notifications import content
from taskflow.notifications.context import Context
from taskflow.notifications.deliveries import email
from taskflow.notifications.deliveries import repository as deliveries
from taskflow.notifications.deliveries.state import Channel
from taskflow.notifications.notifications.service import Planned, notify
from taskflow.notifications.preferences import repository as preferences
from taskflow.notifications.preferences.schemas import Kind
from taskflow.notifications.projections import repository as projections
from taskflow.notifications.reminders import repository

log = get_logger(__name__)


class Scheduler:
    """Reminders, overdue notices and digests; `run_once` is one pass."""

    def __init__(self, ctx: Context, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.ctx = ctx
        self.sessionmaker = sessionmaker

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                fired = await self.run_once()
                await self.run_digests()
            except Exception:
                log.exception("scheduler_pass_failed")
                fired = 0
            if fired:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.ctx.settings.scheduler_poll_interval)

    async def run_once(self, limit: int = 200) -> int:
        """Fire every due reminder (up to `limit`); returns how many rows were claimed."""
        now = self.ctx.clock()
        async with self.sessionmaker() as session, session.begin():
            rows = await repository.claim_due(session, now, limit)
            if not rows:
                return 0
            tasks = await projections.tasks(session, {r.task_id for r in rows})
            planned: list[Planned] = []
            for r in rows:
                task = tasks.get(r.task_id)
                if task is None or task.done or task.deleted:
                    continue
                if r.user_id not in (task.assignee_ids or []):
                    continue
                if r.kind == "overdue" and task.due_at != r.fire_at:
                    continue
                kind = Kind.OVERDUE if r.kind == "overdue" else Kind.REMINDER
                late = (
                    now - r.fire_at
                ).total_seconds() > self.ctx.settings.reminder_late_after_seconds
                words = content.for_task(
                    kind,
                    event_type="reminder",
                    base_url=self.ctx.settings.spa_base_url,
                    project_id=task.project_id,
                    task_id=task.id,
                    key=task.key,
                    title=task.title,
                    actor_name=None,
                    due_at=task.due_at,
                    late=late and kind == Kind.REMINDER,
                )
                planned.append(
                    Planned(
                        user_id=r.user_id,
                        kind=kind,
                        content=words,
                        source_id=r.id,
                        project_id=task.project_id,
                        task_id=task.id,
                        data={
                            "fire_at": r.fire_at.isoformat(),
                            "late": late,
                            "task_key": task.key,
                        },
                        traceparent=r.traceparent,
                        request_id=r.request_id,
                    )
                )
            await notify(session, self.ctx, planned)
            return len(rows)

    async def run_digests(self) -> int:
        """Send the daily digest of every user whose digest hour has come; returns how many."""
        now = self.ctx.clock()
        sent = 0
        async with self.sessionmaker() as session:
            users = await deliveries.users_with_held(session)
        for user_id in users:
            async with self.sessionmaker() as session, session.begin():
                pref = await preferences.lock_unless_locked(session, user_id)
                user = (await projections.users(session, [user_id])).get(user_id)
                if pref is None or user is None or not user.email or not user.email_verified:
                    continue
                try:
                    local = now.astimezone(ZoneInfo(user.timezone or "UTC"))
                except ZoneInfoNotFoundError:
                    local = now
                due = pref.digest != "daily" or local.hour >= pref.digest_hour
                if not due or pref.last_digest_on == local.date():
                    continue
                held = await deliveries.held_for(session, user_id)
                if not held:
                    continue
                items = [
                    {
                        "title": (d.payload or {}).get("title") or (d.payload or {}).get("subject"),
                        "body": (d.payload or {}).get("body", ""),
                        "link": (d.payload or {}).get("link"),
                    }
                    for d in held
                ]
                mail = email.render(
                    "digest",
                    f"Your Taskflow digest: {len(items)} update(s)",
                    items=items,
                    base_url=self.ctx.settings.spa_base_url,
                )
                await deliveries.enqueue(
                    session,
                    [
                        deliveries.new_row(
                            channel=Channel.EMAIL,
                            kind="digest",
                            user_id=user_id,
                            recipient=user.email,
                            dedupe_key=f"digest:{user_id}:{local.date().isoformat()}",
                            payload=mail.as_payload(),
                            max_attempts=self.ctx.settings.delivery_max_attempts,
                            now=now,
                        )
                    ],
                )
                await deliveries.mark_digested(session, [d.id for d in held], now)
                pref.last_digest_on = local.date()
                sent += 1
        if sent:
            self.ctx.wake_sender()
        return sent
