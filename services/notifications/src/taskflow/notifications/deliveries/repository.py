"""SQL of deliveries: enqueue without duplicates, claim due rows across workers, record outcomes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.pagination import Page, PageParams, keyset_page
from taskflow.notifications.db import new_id
from taskflow.notifications.deliveries.models import Delivery
from taskflow.notifications.deliveries.state import Channel, Outcome, Status


def new_row(
    *,
    channel: Channel,
    kind: str,
    user_id: uuid.UUID | None,
    dedupe_key: str,
    payload: dict[str, Any],
    max_attempts: int,
    now: datetime,
    recipient: str | None = None,
    task_id: uuid.UUID | None = None,
    status: Status = Status.PENDING,
) -> dict[str, Any]:
    """A delivery row for `enqueue`: due `now`, no attempt made yet. The one place that says
    what a new delivery holds, whatever queues it (mail, digest, calendar sync).
    """
    return {
        "id": new_id(),
        "channel": channel.value,
        "kind": kind,
        "user_id": user_id,
        "task_id": task_id,
        "recipient": recipient,
        "dedupe_key": dedupe_key,
        "payload": payload,
        "status": status.value,
        "max_attempts": max_attempts,
        "next_attempt_at": now,
        "created_at": now,
        "updated_at": now,
    }


async def enqueue(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> int:
    """Queue deliveries; a row whose `dedupe_key` exists is skipped. Returns how many were new."""
    if not rows:
        return 0
    stmt = (
        insert(Delivery)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(Delivery.id)
    )
    return len((await session.scalars(stmt, list(rows))).all())


async def claim_due(
    session: AsyncSession, channel: str, now: datetime, *, limit: int, lease: float
) -> list[Delivery]:
    """Take up to `limit` due deliveries of a channel for this worker (other workers skip them).

    A `sending` row whose lease ran out belongs to a worker that died mid-send: it is due again
    (so a crash can cause one duplicate send, never a lost one).
    """
    due = or_(
        and_(Delivery.status == Status.PENDING, Delivery.next_attempt_at <= now),
        and_(Delivery.status == Status.SENDING, Delivery.leased_until < now),
    )
    ids = (
        select(Delivery.id)
        .where(Delivery.channel == channel, due)
        .order_by(Delivery.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    stmt = (
        update(Delivery)
        .where(Delivery.id.in_(ids))
        .values(
            status=Status.SENDING,
            leased_until=now + timedelta(seconds=lease),
            updated_at=now,
        )
        .returning(Delivery)
    )
    rows = await session.scalars(stmt, execution_options={"populate_existing": True})
    return sorted(rows.all(), key=lambda d: d.next_attempt_at)


async def record(
    session: AsyncSession,
    delivery_id: uuid.UUID,
    outcome: Outcome,
    now: datetime,
    *,
    clear_payload: bool,
) -> None:
    """Write an attempt's outcome back."""
    values: dict[str, Any] = {
        "status": outcome.status,
        "attempts": outcome.attempts,
        "next_attempt_at": outcome.next_attempt_at,
        "last_error": outcome.last_error,
        "leased_until": None,
        "updated_at": now,
    }
    if outcome.status == Status.SENT:
        values["sent_at"] = now
        if clear_payload:
            values["payload"] = None
    await session.execute(update(Delivery).where(Delivery.id == delivery_id).values(**values))


async def calendar_trouble(session: AsyncSession, user_id: uuid.UUID, task_id: uuid.UUID) -> bool:
    """Whether a calendar delivery of this user's task has failed at least once and not gone out."""
    stmt = select(Delivery.id).where(
        Delivery.channel == "calendar",
        Delivery.user_id == user_id,
        Delivery.task_id == task_id,
        Delivery.status.in_([Status.PENDING, Status.SENDING, Status.FAILED]),
        Delivery.last_error.is_not(None),
    )
    return (await session.scalars(stmt.limit(1))).first() is not None


async def page(session: AsyncSession, *, status: str | None, page: PageParams) -> Page[Any]:
    """Deliveries newest first, optionally of one status (admin view), one page."""
    stmt = select(Delivery)
    if status is not None:
        stmt = stmt.where(Delivery.status == status)
    columns = [Delivery.__table__.c.created_at, Delivery.__table__.c.id]
    return await keyset_page(session, stmt, columns, page, descending=True)


async def get_for_update(session: AsyncSession, delivery_id: uuid.UUID) -> Delivery | None:
    stmt = select(Delivery).where(Delivery.id == delivery_id).with_for_update()
    return (await session.scalars(stmt)).one_or_none()


async def held_for(session: AsyncSession, user_id: uuid.UUID) -> list[Delivery]:
    """Email deliveries held for the user's digest, oldest first, locked."""
    stmt = (
        select(Delivery)
        .where(Delivery.user_id == user_id, Delivery.status == Status.HELD)
        .order_by(Delivery.created_at)
        .with_for_update(skip_locked=True)
    )
    return list((await session.scalars(stmt)).all())


async def users_with_held(session: AsyncSession) -> list[uuid.UUID]:
    stmt = select(Delivery.user_id).where(Delivery.status == Status.HELD).distinct()
    return [u for u in (await session.scalars(stmt)).all() if u is not None]


async def mark_digested(session: AsyncSession, ids: Sequence[uuid.UUID], now: datetime) -> None:
    """The held deliveries that went into a digest mail: digested, never sent alone."""
    await session.execute(
        update(Delivery)
        .where(Delivery.id.in_(list(ids)))
        .values(status=Status.DIGESTED.value, updated_at=now)
    )
