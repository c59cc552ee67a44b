"""Events -> calendars: feeds end with the account, and due tasks reach CalDAV.

A calendar update is queued as a delivery that only names the user and the task: the sender
reads the task's state at send time, so an older queued update can never undo a newer one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.events.contracts.tasks import TaskEvent
from taskflow.events.contracts.users import UserUpdated
from taskflow.events.envelope import Envelope
from taskflow.notifications.calendar import feed
from taskflow.notifications.consuming import Handler
from taskflow.notifications.context import Context
from taskflow.notifications.deliveries import repository as deliveries
from taskflow.notifications.deliveries.state import Channel
from taskflow.notifications.post_commit import on_commit
from taskflow.notifications.preferences import repository as preferences
from taskflow.notifications.preferences.schemas import Kind, channels_for
from taskflow.notifications.projections.handlers import TaskChange, TaskStep, is_open


def handlers() -> dict[str, Handler]:
    """The feeds' entries: the feed URL is a bearer secret held by calendar apps, so it ends
    with the account, and a reactivated user must make a new one."""
    return {"user.updated": user_updated, "user.deactivated": user_deactivated}


async def user_updated(session: AsyncSession, envelope: Envelope, event: UserUpdated) -> None:
    if not event.is_active:
        await feed.revoke(session, event.user_id)


async def user_deactivated(session: AsyncSession, envelope: Envelope, event: Any) -> None:
    await feed.revoke(session, event.user_id)


def task_step(ctx: Context) -> TaskStep:
    """Queue a calendar update for each affected assignee who has the calendar channel on."""

    async def sync_calendar(
        session: AsyncSession, envelope: Envelope, event: TaskEvent, change: TaskChange
    ) -> None:
        if change.stale or ctx.settings.caldav_url is None:
            return
        snap, before = event.task, change.before
        relevant = (
            before.missing
            or before.due_at != snap.due_at
            or before.title != snap.title
            or before.open != is_open(snap)
            or set(before.assignees) != set(snap.assignee_ids)
        )
        if not relevant or (snap.due_at is None and before.due_at is None):
            return
        users = set(snap.assignee_ids) | set(before.assignees)
        prefs = await preferences.for_users(session, users)
        now = ctx.clock()
        rows = []
        for user_id in users:
            pref = prefs.get(user_id)
            if not channels_for(pref.kinds if pref else None, Kind.TASK_DUE).calendar:
                continue
            rows.append(
                deliveries.new_row(
                    channel=Channel.CALENDAR,
                    kind="calendar_sync",
                    user_id=user_id,
                    task_id=snap.task_id,
                    dedupe_key=f"calendar:{envelope.id}:{user_id}",
                    payload={"task_id": str(snap.task_id)},
                    max_attempts=ctx.settings.delivery_max_attempts,
                    now=now,
                )
            )
        if rows:
            await deliveries.enqueue(session, rows)

            async def wake() -> None:
                ctx.wake_sender()

            on_commit(session, wake)

    return sync_calendar
