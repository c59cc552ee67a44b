"""SQL of the activity log: pages of a task's or a project's, newest first."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.pagination import Page, PageParams, keyset_page
from taskflow.tasks.activity.models import Activity


async def page_of_task(db: AsyncSession, task_id: uuid.UUID, page: PageParams) -> Page[Activity]:
    """One page of a task's activity, newest first."""
    stmt = select(Activity).where(Activity.task_id == task_id)
    return await keyset_page(db, stmt, [Activity.id], page, descending=True)


async def page_of_project(
    db: AsyncSession, project_id: uuid.UUID, page: PageParams
) -> Page[Activity]:
    """One page of a project's activity, newest first."""
    stmt = select(Activity).where(Activity.project_id == project_id)
    return await keyset_page(db, stmt, [Activity.id], page, descending=True)


async def delete_of_tasks(db: AsyncSession, task_ids: list[uuid.UUID]) -> None:
    """Remove the activity of these tasks (before the tasks are purged)."""
    await db.execute(delete(Activity).where(Activity.task_id.in_(task_ids)))


async def delete_of_projects(db: AsyncSession, project_ids: list[uuid.UUID]) -> None:
    """Remove the activity of these projects (before the projects are purged)."""
    await db.execute(delete(Activity).where(Activity.project_id.in_(project_ids)))
