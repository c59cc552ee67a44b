"""SQL of the webhooks domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
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
