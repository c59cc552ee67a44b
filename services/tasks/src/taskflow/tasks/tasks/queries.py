"""Reading tasks: one task, a page of a list or a search, the trash."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.errors import Unprocessable
from taskflow.common.pagination import Page, PageParams
from taskflow.common.security import Principal
from taskflow.tasks.projects.auth import ProjectAccess, not_found, project_access
from taskflow.tasks.tasks import list_query
from taskflow.tasks.tasks import repository as repo
from taskflow.tasks.tasks.models import Task
from taskflow.tasks.tasks.schemas import TaskFilters, TaskRead, to_read


async def get(db: AsyncSession, task_id: uuid.UUID) -> TaskRead:
    """One task (the caller's access was checked by the route dependency)."""
    found = await repo.get_for_read(db, task_id)
    if found is None:
        raise not_found("task")
    task, key, blocked = found
    return to_read(task, key, blocked=blocked)


def _sort_of(filters: TaskFilters) -> str:
    if filters.sort == "rank" and not filters.q:
        raise Unprocessable(
            "sort=rank needs a search (q).",
            errors=[{"loc": ["query", "sort"], "msg": "rank needs q", "type": "sort"}],
        )
    return filters.sort or ("rank" if filters.q else "-created_at")


def _cursor_value(task: Task | Row[Any], sort: str, rank: float | None) -> Any:
    field = sort.lstrip("-")
    return rank if field == "rank" else getattr(task, field)


def needs_custom_plan(filters: TaskFilters, project_id: uuid.UUID | None) -> bool:
    """Whether a list must be planned with its values (`repository.list_tasks`).

    A project's plain list plans the same with any values (the project index, in sort order),
    so it may use the generic plan: no `SET LOCAL`, hence no transaction needed either (the
    router then serves it from a read session, `db.reads`).
    """
    plain = project_id is not None and not filters.q and filters.assignee is None
    return not (plain and not filters.label)


async def list_tasks(
    db: AsyncSession,
    me: uuid.UUID,
    filters: TaskFilters,
    page: PageParams,
    *,
    project_id: uuid.UUID | None = None,
    principal: Principal | None = None,
) -> Page[TaskRead]:
    """One page of live tasks: of a project, or of every project the caller is in.

    With `principal` (a project's list), membership is checked inside the list query; only an
    empty page pays for `project_access`, which raises the 404 of a non-member.
    """
    sort = _sort_of(filters)
    scope: list[uuid.UUID] | None = None
    if filters.q and project_id is None:
        scope = await repo.my_project_id_list(db, me)
        if not scope:
            return Page[TaskRead](items=[], next_cursor=None)
    stmt, spec = list_query.list_statement(
        me=me,
        project_id=project_id,
        filters=filters,
        sort_name=sort,
        search_scope=scope,
        check_member=principal is not None,
    )
    result = await repo.list_tasks(
        db,
        stmt,
        spec,
        page,
        key=lambda r: (_cursor_value(r, sort, r.rank), r.id),
        custom_plan=needs_custom_plan(filters, project_id),
    )
    if not result.items and principal is not None and project_id is not None:
        await project_access(db, principal, project_id, "viewer")
    return Page[TaskRead](
        items=[to_read(r, r.key, r.rank) for r in result.items], next_cursor=result.next_cursor
    )


async def trash(db: AsyncSession, access: ProjectAccess, page: PageParams) -> Page[TaskRead]:
    """The project's trash, most recently deleted first."""
    result = await repo.trash(db, access.project_id, page)
    return Page[TaskRead](
        items=[to_read(t, k) for t, k in result.items], next_cursor=result.next_cursor
    )
