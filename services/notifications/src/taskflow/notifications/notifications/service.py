"""Rules of in-app notifications: fan-out to channels by preference, and the user's own API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.errors import NotFound
from taskflow.common.pagination import Page, PageParams
from taskflow.notifications.content import Content
from taskflow.notifications.context import Context
from taskflow.notifications.db import new_id
from taskflow.notifications.deliveries import email
from taskflow.notifications.deliveries import repository as deliveries
from taskflow.notifications.deliveries.state import Channel, Status
from taskflow.notifications.notifications import repository
from taskflow.notifications.notifications.models import Notification
from taskflow.notifications.notifications.schemas import NotificationRead, to_read
from taskflow.notifications.post_commit import on_commit
from taskflow.notifications.preferences.models import Preferences
from taskflow.notifications.preferences.schemas import NOT_DIGESTED, Kind, channels_for
from taskflow.notifications.projections import repository as projections
from taskflow.notifications.projections.models import UserProjection


@dataclass(frozen=True)
class Planned:
    """One notification decided by a rule, before preferences are applied."""

    user_id: uuid.UUID
    kind: Kind
    content: Content
    source_id: uuid.UUID
    project_id: uuid.UUID | None = None
    task_id: uuid.UUID | None = None
    actor_id: uuid.UUID | None = None
    data: dict[str, Any] = field(default_factory=dict)
    #: The trace its mail carries when it is not the one in hand: a reminder fires in the
    #: scheduler, outside the event that scheduled it, and keeps that event's trace.
    traceparent: str | None = None
    request_id: str | None = None


def live_message(n: Notification) -> dict[str, Any]:
    """The WebSocket message of a new notification."""
    return {"type": "notification", "notification": to_read(n).model_dump(mode="json")}


async def notify(
    session: AsyncSession,
    ctx: Context,
    planned: list[Planned],
    *,
    people: tuple[dict[uuid.UUID, UserProjection], dict[uuid.UUID, Preferences]] | None = None,
) -> list[Notification]:
    """Store in-app notifications and queue mails as each user's preferences say.

    Mail goes only to a verified address of an active user. Everything happens in the
    caller's transaction; pushes, cache invalidation and waking the sender run after commit.
    """
    if not planned:
        return []
    users, prefs = people or await projections.people(session, [p.user_id for p in planned])
    now = ctx.clock()
    rows: list[dict[str, Any]] = []
    mails: list[dict[str, Any]] = []
    for p in planned:
        user = users.get(p.user_id)
        if user is not None and not user.active:
            continue
        pref = prefs.get(p.user_id)
        channels = channels_for(pref.kinds if pref else None, p.kind)
        if channels.in_app:
            rows.append(
                {
                    "id": new_id(),
                    "user_id": p.user_id,
                    "kind": p.kind.value,
                    "title": p.content.title,
                    "body": p.content.body,
                    "link": p.content.link,
                    "project_id": p.project_id,
                    "task_id": p.task_id,
                    "actor_id": p.actor_id,
                    "source_id": p.source_id,
                    "data": p.data,
                    "created_at": now,
                }
            )
        if channels.email and user is not None and user.email and user.email_verified:
            mail = email.render(
                "notification",
                p.content.title,
                title=p.content.title,
                body=p.content.body,
                link=p.content.link,
                base_url=ctx.settings.spa_base_url,
            )
            payload = mail.as_payload()
            if p.traceparent is not None:
                payload.update(traceparent=p.traceparent, request_id=p.request_id)
            payload.update(title=p.content.title, body=p.content.body, link=p.content.link)
            cal = channels_for(pref.kinds if pref else None, Kind.TASK_DUE).calendar
            if p.task_id is not None and cal and p.kind in (Kind.TASK_ASSIGNED, Kind.TASK_DUE):
                payload["ics_task_id"] = str(p.task_id)
            digest = pref is not None and pref.digest == "daily" and p.kind not in NOT_DIGESTED
            mails.append(
                deliveries.new_row(
                    channel=Channel.EMAIL,
                    kind=p.kind.value,
                    user_id=p.user_id,
                    task_id=p.task_id,
                    recipient=user.email,
                    dedupe_key=f"email:{p.source_id}:{p.user_id}:{p.kind.value}",
                    payload=payload,
                    status=Status.HELD if digest else Status.PENDING,
                    max_attempts=ctx.settings.delivery_max_attempts,
                    now=now,
                )
            )
    created = await repository.insert_many(session, rows)
    by_user = {n.user_id: n.id for n in created}
    for queued in mails:
        queued["notification_id"] = by_user.get(queued["user_id"])
    await deliveries.enqueue(session, mails)
    _after_commit(session, ctx, created, wake=bool(mails))
    return created


def _after_commit(
    session: AsyncSession, ctx: Context, created: list[Notification], *, wake: bool
) -> None:
    messages = [(n.user_id, live_message(n)) for n in created]
    users = [n.user_id for n in created]

    async def announce() -> None:
        await ctx.unread.invalidate(*users)
        for user_id, message in messages:
            await ctx.publisher.to_user(user_id, message)

    if messages:
        on_commit(session, announce)
    if wake:

        async def wake_sender() -> None:
            ctx.wake_sender()

        on_commit(session, wake_sender)


async def list_page(
    session: AsyncSession, user_id: uuid.UUID, *, unread_only: bool, params: PageParams
) -> Page[NotificationRead]:
    """A page of the user's notifications, newest first."""
    page = await repository.page(session, user_id, unread_only=unread_only, page=params)
    return Page[NotificationRead](
        items=[to_read(n) for n in page.items], next_cursor=page.next_cursor
    )


async def mark_read(
    session: AsyncSession, ctx: Context, user_id: uuid.UUID, notification_id: uuid.UUID
) -> NotificationRead:
    """Mark one notification read; 404 when it is not the caller's."""
    row = await repository.mark_read(session, user_id, notification_id, ctx.clock())
    if row is None:
        raise NotFound("No such notification.", code="notification_not_found")
    on_commit(session, lambda: ctx.unread.invalidate(user_id))
    return to_read(row)


async def mark_all_read(session: AsyncSession, ctx: Context, user_id: uuid.UUID) -> int:
    """Mark all of the caller's notifications read."""
    count = await repository.mark_all_read(session, user_id, ctx.clock())
    on_commit(session, lambda: ctx.unread.invalidate(user_id))
    return count


async def delete(
    session: AsyncSession, ctx: Context, user_id: uuid.UUID, notification_id: uuid.UUID
) -> None:
    """Delete one notification; 404 when it is not the caller's."""
    if not await repository.delete_one(session, user_id, notification_id):
        raise NotFound("No such notification.", code="notification_not_found")
    on_commit(session, lambda: ctx.unread.invalidate(user_id))


async def unread_count(session: AsyncSession, ctx: Context, user_id: uuid.UUID) -> int:
    """The caller's unread count (Redis cache, database on a miss)."""
    return await ctx.unread.get(user_id, lambda: repository.count_unread(session, user_id))
