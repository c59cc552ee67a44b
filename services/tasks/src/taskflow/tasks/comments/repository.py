"""SQL of comments: a task's list and one live comment, locked."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.pagination import Page, PageParams, keyset_page
from taskflow.tasks.comments.models import Comment


async def page_of_task(db: AsyncSession, task_id: uuid.UUID, page: PageParams) -> Page[Comment]:
    """One page of a task's live comments, oldest first."""
    stmt = select(Comment).where(Comment.task_id == task_id, Comment.deleted_at.is_(None))
    return await keyset_page(db, stmt, [Comment.created_at, Comment.id], page)


async def live_for_update(db: AsyncSession, comment_id: uuid.UUID) -> Comment | None:
    """The live comment, its row locked (key share) and reloaded."""
    return (
        await db.execute(
            select(Comment)
            .where(Comment.id == comment_id, Comment.deleted_at.is_(None))
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
