"""SQL of invitations."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.pagination import Page, PageParams, keyset_page
from taskflow.tasks.invitations.models import Invitation


async def pending_for_update(
    db: AsyncSession, project_id: uuid.UUID, email: str
) -> Invitation | None:
    """The project's pending row for `email` (expired or not), locked."""
    stmt = (
        select(Invitation)
        .where(
            Invitation.project_id == project_id,
            Invitation.email == email,
            Invitation.state == "pending",
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await db.execute(stmt)).scalar_one_or_none()


async def live_for_update(
    db: AsyncSession, invitation_id: uuid.UUID, *, now: datetime
) -> Invitation | None:
    """A pending, unexpired invitation by id, locked."""
    stmt = (
        select(Invitation)
        .where(
            Invitation.id == invitation_id,
            Invitation.state == "pending",
            Invitation.expires_at > now,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await db.execute(stmt)).scalar_one_or_none()


async def count_live(db: AsyncSession, project_id: uuid.UUID, *, now: datetime) -> int:
    """How many pending, unexpired invitations the project has."""
    return int(
        await db.scalar(
            select(func.count())
            .select_from(Invitation)
            .where(
                Invitation.project_id == project_id,
                Invitation.state == "pending",
                Invitation.expires_at > now,
            )
        )
        or 0
    )


async def count_sent_by(db: AsyncSession, user_id: uuid.UUID, *, since: datetime) -> int:
    """Invitations `user_id` created or renewed since `since` (each sent a mail)."""
    return int(
        await db.scalar(
            select(func.count())
            .select_from(Invitation)
            .where(Invitation.invited_by == user_id, Invitation.updated_at > since)
        )
        or 0
    )


async def list_live(
    db: AsyncSession, project_id: uuid.UUID, *, now: datetime, page: PageParams
) -> Page[Invitation]:
    """One page of the project's pending, unexpired invitations, oldest first."""
    stmt = select(Invitation).where(
        Invitation.project_id == project_id,
        Invitation.state == "pending",
        Invitation.expires_at > now,
    )
    return await keyset_page(db, stmt, [Invitation.created_at, Invitation.id], page)


async def live_for_email(
    db: AsyncSession, email: str, *, now: datetime
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(project id, invitation id) of every pending, unexpired invitation of `email`."""
    rows = await db.execute(
        select(Invitation.project_id, Invitation.id)
        .where(
            Invitation.email == email,
            Invitation.state == "pending",
            Invitation.expires_at > now,
        )
        .order_by(Invitation.project_id)
    )
    return [(p, i) for p, i in rows.all()]


async def by_token_hash(db: AsyncSession, digest: str, *, now: datetime) -> Invitation | None:
    """The pending, unexpired invitation whose link carries this token."""
    return (
        await db.execute(
            select(Invitation).where(
                Invitation.token_hash == digest,
                Invitation.state == "pending",
                Invitation.expires_at > now,
            )
        )
    ).scalar_one_or_none()
