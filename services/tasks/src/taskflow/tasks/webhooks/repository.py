"""SQL of the webhooks domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.pagination import Page, PageParams, keyset_page
from taskflow.tasks.projects.models import Member
from taskflow.tasks.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery


async def get(db: AsyncSession, webhook_id: uuid.UUID, *, lock: bool = False) -> Webhook | None:
    stmt = select(Webhook).where(Webhook.id == webhook_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await db.execute(stmt)).scalar_one_or_none()


async def count_for_project(db: AsyncSession, project_id: uuid.UUID) -> int:
    stmt = select(func.count()).select_from(Webhook).where(Webhook.project_id == project_id)
    return int((await db.execute(stmt)).scalar_one())


async def list_for_project(db: AsyncSession, project_id: uuid.UUID, page: PageParams) -> Page[Any]:
    """The project's endpoints, oldest first, one page."""
    stmt = select(Webhook).where(Webhook.project_id == project_id)
    return await keyset_page(db, stmt, [Webhook.id], page)


async def active_for_project(db: AsyncSession, project_id: uuid.UUID) -> list[Webhook]:
    stmt = select(Webhook).where(Webhook.project_id == project_id, Webhook.active.is_(True))
    return list((await db.execute(stmt)).scalars())


async def deliveries(
    db: AsyncSession, webhook_id: uuid.UUID, state: str | None, page: PageParams
) -> Page[Any]:
    """Newest first, one page."""
    stmt = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
    if state is not None:
        stmt = stmt.where(WebhookDelivery.state == state)
    return await keyset_page(db, stmt, [WebhookDelivery.id], page, descending=True)


async def attempts(db: AsyncSession, webhook_id: uuid.UUID, page: PageParams) -> Page[Any]:
    """Newest first, one page."""
    stmt = select(WebhookAttempt).where(WebhookAttempt.webhook_id == webhook_id)
    return await keyset_page(db, stmt, [WebhookAttempt.id], page, descending=True)


async def get_delivery(
    db: AsyncSession, webhook_id: uuid.UUID, delivery_id: uuid.UUID
) -> WebhookDelivery | None:
    stmt = (
        select(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.webhook_id == webhook_id)
        .with_for_update()
    )
    return (await db.execute(stmt)).scalar_one_or_none()


async def requeue_failed_since(
    db: AsyncSession, webhook_id: uuid.UUID, since: datetime, now: datetime
) -> int:
    """Every failed delivery created at or after `since` is pending again, due now."""
    result = await db.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.webhook_id == webhook_id,
            WebhookDelivery.state == "failed",
            WebhookDelivery.created_at >= since,
        )
        .values(state="pending", round_attempts=0, next_attempt_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def admin_ids(db: AsyncSession, project_id: uuid.UUID) -> list[uuid.UUID]:
    """The project's owners and admins (they are told when an endpoint is disabled)."""
    stmt = select(Member.user_id).where(
        Member.project_id == project_id, Member.role.in_(("owner", "admin"))
    )
    return sorted((await db.execute(stmt)).scalars())


async def add_deliveries(db: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert delivery rows; one that exists for its `(webhook_id, event_id)` is left as is
    (a replay from the parking queue must not send an event twice)."""
    stmt = insert(WebhookDelivery).values(rows)
    await db.execute(stmt.on_conflict_do_nothing(index_elements=["webhook_id", "event_id"]))


async def claim_due_delivery(
    db: AsyncSession, now: datetime
) -> tuple[WebhookDelivery, Webhook] | None:
    """The most overdue pending delivery of an active endpoint, locked (SKIP LOCKED: another
    dispatcher's claim is passed over), with its endpoint; None when nothing is due."""
    row = (
        await db.execute(
            select(WebhookDelivery, Webhook)
            .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
            .where(
                WebhookDelivery.state == "pending",
                WebhookDelivery.next_attempt_at <= now,
                Webhook.active.is_(True),
            )
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(1)
            .with_for_update(of=WebhookDelivery, skip_locked=True)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def last_attempt_at(db: AsyncSession, webhook_id: uuid.UUID) -> datetime | None:
    """When the endpoint's newest attempt was made (ids are time-ordered; the index is by id)."""
    stmt = (
        select(WebhookAttempt.attempted_at)
        .where(WebhookAttempt.webhook_id == webhook_id)
        .order_by(WebhookAttempt.id.desc())
        .limit(1)
    )
    return (await db.execute(stmt)).scalar_one_or_none()


async def clear_failing_since(db: AsyncSession, webhook_id: uuid.UUID) -> None:
    """End the endpoint's failure streak (written only when there is one)."""
    await db.execute(
        update(Webhook)
        .where(Webhook.id == webhook_id, Webhook.failing_since.is_not(None))
        .values(failing_since=None)
    )


async def extend_failing_since(
    db: AsyncSession, webhook_id: uuid.UUID, now: datetime, *, fresh: bool
) -> datetime | None:
    """The start of the endpoint's failure streak after a failure at `now`: `now` for a fresh
    streak, else the running one's start (or `now` when none runs)."""
    since = now if fresh else func.coalesce(Webhook.failing_since, now)
    stmt = (
        update(Webhook)
        .where(Webhook.id == webhook_id)
        .values(failing_since=since)
        .returning(Webhook.failing_since)
    )
    return (await db.execute(stmt)).scalar_one()


async def disable_failing(db: AsyncSession, webhook_id: uuid.UUID) -> bool:
    """Deactivate a still active endpoint for failing; False when it was no longer active
    (another dispatcher disabled it first)."""
    stmt = (
        update(Webhook)
        .where(Webhook.id == webhook_id, Webhook.active.is_(True))
        .values(active=False, disabled_reason="failing", version=Webhook.version + 1)
        .returning(Webhook.id)
    )
    return (await db.execute(stmt)).first() is not None
