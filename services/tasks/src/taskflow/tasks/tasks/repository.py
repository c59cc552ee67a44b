"""SQL of tasks: locking reads, reference checks, running lists, trash, key lookups.

The list statement itself is built in `list_query`.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    delete,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.pagination import Page, PageParams, keyset_page
from taskflow.tasks.dependencies.repository import open_blocker_exists
from taskflow.tasks.projects.models import Member, Project
from taskflow.tasks.sorting import SortSpec
from taskflow.tasks.tasks.list_query import my_project_ids
from taskflow.tasks.tasks.models import Task, TaskKeyRedirect

CLOSED = ("done", "cancelled")  # status categories


async def get_for_update(
    db: AsyncSession, task_id: uuid.UUID, *, deleted: bool | None = False
) -> Task | None:
    """The task row locked against other writers (`FOR NO KEY UPDATE`, see projects repo).

    `deleted`: False = only live tasks, True = only trashed ones, None = either.
    """
    stmt = (
        select(Task)
        .where(Task.id == task_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    if deleted is True:
        stmt = stmt.where(Task.deleted_at.is_not(None))
    elif deleted is False:
        stmt = stmt.where(Task.deleted_at.is_(None))
    return (await db.execute(stmt)).scalar_one_or_none()


async def lock_many(db: AsyncSession, task_ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """Lock several tasks in id order (bulk); returns each found task's project id.

    A fixed lock order cannot deadlock another bulk request over the same tasks.
    """
    if not task_ids:
        return {}
    rows = await db.execute(
        select(Task.id, Task.project_id)
        .where(Task.id.in_(sorted(set(task_ids))))
        .order_by(Task.id)
        .with_for_update(key_share=True)
    )
    return dict(rows.all())


async def lock_referencing(
    db: AsyncSession,
    project_id: uuid.UUID,
    *,
    user_id: uuid.UUID | None = None,
    label_id: uuid.UUID | None = None,
    milestone_id: uuid.UUID | None = None,
) -> list[Task]:
    """Tasks of the project (live or trashed) naming the user, label or milestone, locked.

    Locked in id order, the order bulk uses, so two such writers cannot deadlock.
    """
    conditions: list[ColumnElement[bool]] = []
    if user_id is not None:
        conditions += [Task.assignee_ids.contains([user_id]), Task.watcher_ids.contains([user_id])]
    if label_id is not None:
        conditions.append(Task.label_ids.contains([label_id]))
    if milestone_id is not None:
        conditions.append(Task.milestone_id == milestone_id)
    if not conditions:
        return []
    stmt = (
        select(Task)
        .where(Task.project_id == project_id, or_(*conditions))
        .order_by(Task.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return list((await db.execute(stmt)).scalars())


async def lock_in_status(db: AsyncSession, status_id: uuid.UUID) -> list[Task]:
    """Every task (live or trashed) in a status, locked in id order (like bulk)."""
    stmt = (
        select(Task)
        .where(Task.status_id == status_id)
        .order_by(Task.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return list((await db.execute(stmt)).scalars())


async def get_with_key(db: AsyncSession, task_id: uuid.UUID) -> tuple[Task, str] | None:
    """A task and its project key."""
    row = (
        await db.execute(
            select(Task, Project.key)
            .join(Project, Project.id == Task.project_id)
            .where(Task.id == task_id)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def get_for_read(db: AsyncSession, task_id: uuid.UUID) -> tuple[Task, str, bool] | None:
    """A task, its project key and whether an open task blocks it, in one round trip."""
    row = (
        await db.execute(
            select(Task, Project.key, open_blocker_exists().label("blocked"))
            .join(Project, Project.id == Task.project_id)
            .where(Task.id == task_id)
        )
    ).first()
    return None if row is None else (row[0], row[1], bool(row[2]))


async def project_key(db: AsyncSession, project_id: uuid.UUID) -> str:
    """The key of a project (for `OPS-12`)."""
    return str((await db.execute(select(Project.key).where(Project.id == project_id))).scalar_one())


async def parent_in_project(db: AsyncSession, project_id: uuid.UUID, pid: uuid.UUID) -> bool:
    """True when the parent is a live task of the same project."""
    row = await db.execute(
        select(Task.id).where(
            Task.id == pid, Task.project_id == project_id, Task.deleted_at.is_(None)
        )
    )
    return row.first() is not None


async def ancestor_ids(db: AsyncSession, task_id: uuid.UUID) -> set[uuid.UUID]:
    """The task and all its ancestors (parent, grandparent, ...), bounded against bad data."""
    rows = await db.execute(
        text(
            "WITH RECURSIVE up(id, parent_id, depth) AS ("
            " SELECT id, parent_id, 0 FROM tasks.tasks WHERE id = :id"
            " UNION ALL SELECT t.id, t.parent_id, up.depth + 1 FROM tasks.tasks t"
            " JOIN up ON t.id = up.parent_id WHERE up.depth < 1000)"
            " SELECT id FROM up"
        ),
        {"id": task_id},
    )
    return set(rows.scalars())


async def my_project_id_list(db: AsyncSession, user_id: uuid.UUID) -> list[uuid.UUID]:
    """The live projects the user is a member of."""
    return list((await db.execute(my_project_ids(user_id))).scalars())


async def list_tasks(
    db: AsyncSession,
    stmt: Select[Any],
    sort: SortSpec,
    page: PageParams,
    *,
    key: Callable[[Any], Sequence[Any]],
    custom_plan: bool = False,
) -> Page[Any]:
    """One page of a list statement (`list_query.list_statement`) in its sort order.

    The cursor leads with the sort's name, so a cursor of another order is refused.

    `custom_plan`: plan with the actual values. asyncpg prepares statements, and after five runs
    PostgreSQL may switch to a generic plan, which cannot see how selective a tsquery, an
    assignee or a project is (a generic search plan probed the GIN index once per project:
    80 ms against 16 ms at a million tasks). Planning costs well under a millisecond here;
    `SET LOCAL` limits the setting to the request's transaction.
    """
    if custom_plan:
        await db.execute(_CUSTOM_PLAN)
    return await keyset_page(
        db, stmt, sort.keys(), page, scalars=False, key=key, prefix=(sort.name,)
    )


_CUSTOM_PLAN = text("SET LOCAL plan_cache_mode = force_custom_plan")


async def trash(db: AsyncSession, project_id: uuid.UUID, page: PageParams) -> Page[Any]:
    """Trashed tasks of a project with the project key, most recently deleted first."""
    stmt = (
        select(Task, Project.key)
        .join(Project, Project.id == Task.project_id)
        .where(Task.project_id == project_id, Task.deleted_at.is_not(None))
    )
    return await keyset_page(
        db,
        stmt,
        [Task.deleted_at, Task.id],
        page,
        descending=True,
        scalars=False,
        key=lambda r: (r[0].deleted_at, r[0].id),
    )


async def subtree_ids(db: AsyncSession, task_id: uuid.UUID) -> list[uuid.UUID]:
    """The task and every descendant (live or trashed), parents before children.

    Bounded in depth against bad data, like `ancestor_ids`; `UNION` (not `ALL`) stops a cycle.
    """
    rows = await db.execute(
        text(
            "WITH RECURSIVE down(id, depth, number) AS ("
            " SELECT id, 0, number FROM tasks.tasks WHERE id = :id"
            " UNION SELECT t.id, down.depth + 1, t.number FROM tasks.tasks t"
            " JOIN down ON t.parent_id = down.id WHERE down.depth < 1000)"
            " SELECT id FROM down GROUP BY id ORDER BY min(depth), min(number)"
        ),
        {"id": task_id},
    )
    return list(rows.scalars())


async def lock_tasks(db: AsyncSession, task_ids: list[uuid.UUID]) -> dict[uuid.UUID, Task]:
    """Several tasks locked in id order (the order bulk uses), by id."""
    if not task_ids:
        return {}
    stmt = (
        select(Task)
        .where(Task.id.in_(sorted(set(task_ids))))
        .order_by(Task.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return {t.id: t for t in (await db.execute(stmt)).scalars()}


async def carry_along(db: AsyncSession, task_ids: list[uuid.UUID], project_id: uuid.UUID) -> None:
    """Comments and activity of moved tasks follow them to their new project."""
    for table in ("comments", "activity"):
        await db.execute(
            text(
                f"UPDATE tasks.{table} SET project_id = :p"  # noqa: S608 - a constant name
                " WHERE task_id = ANY(:ids) AND project_id <> :p"
            ),
            {"p": project_id, "ids": task_ids},
        )


def add_redirect(db: AsyncSession, project_id: uuid.UUID, number: int, task_id: uuid.UUID) -> None:
    """Remember that `project`'s `number` is now `task_id` elsewhere."""
    db.add(TaskKeyRedirect(project_id=project_id, number=number, task_id=task_id))


async def by_key(
    db: AsyncSession, key: str, number: int
) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """(live task id at `KEY-number`, task id that `KEY-number` redirects to); None when not.

    The project may be deleted: its tasks are then not found, its redirects still are.
    """
    row = (
        await db.execute(select(Project.id, Project.deleted_at).where(Project.key == key))
    ).first()
    if row is None:
        return None, None
    if row.deleted_at is None:
        live = (
            await db.execute(
                select(Task.id).where(
                    Task.project_id == row.id, Task.number == number, Task.deleted_at.is_(None)
                )
            )
        ).scalar_one_or_none()
        if live is not None:
            return live, None
    moved = (
        await db.execute(
            select(TaskKeyRedirect.task_id).where(
                TaskKeyRedirect.project_id == row.id, TaskKeyRedirect.number == number
            )
        )
    ).scalar_one_or_none()
    return None, moved


async def tasks_by_ids(db: AsyncSession, task_ids: list[uuid.UUID]) -> list[Task]:
    """These tasks (unlocked, in no particular order)."""
    if not task_ids:
        return []
    return list((await db.execute(select(Task).where(Task.id.in_(task_ids)))).scalars())


async def live_tasks_of(db: AsyncSession, project_id: uuid.UUID, limit: int) -> list[Task]:
    """Up to `limit` live tasks of the project in number order."""
    stmt = (
        select(Task)
        .where(Task.project_id == project_id, Task.deleted_at.is_(None))
        .order_by(Task.number)
        .limit(limit)
    )
    return list((await db.execute(stmt)).scalars())


async def read_only_snapshot(db: AsyncSession) -> None:
    """Make the transaction one read-only snapshot, so an export's names and tasks agree."""
    await db.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))


async def stream_live_tasks(
    db: AsyncSession, project_id: uuid.UUID, batch: int
) -> AsyncIterator[list[tuple[Task, str]]]:
    """The live tasks of the project with its key, in number order, `batch` at a time
    (a server-side cursor).
    """
    result = await db.stream(
        select(Task, Project.key)
        .join(Project, Project.id == Task.project_id)
        .where(Task.project_id == project_id, Task.deleted_at.is_(None))
        .order_by(Task.number)
        .execution_options(yield_per=batch)
    )
    async for rows in result.partitions():
        yield [(t, k) for t, k in rows]


async def access_row(
    db: AsyncSession, task_id: uuid.UUID, user_id: uuid.UUID
) -> Row[uuid.UUID, datetime | None, str, datetime | None] | None:
    """The task's `project_id` and `deleted_at` with the user's `role` in its project and the
    project's `archived_at`; None when the task does not exist, its project is deleted or the
    user is not a member of it."""
    stmt = (
        select(Task.project_id, Task.deleted_at, Member.role, Project.archived_at)
        .join(Project, and_(Project.id == Task.project_id, Project.deleted_at.is_(None)))
        .join(Member, and_(Member.project_id == Task.project_id, Member.user_id == user_id))
        .where(Task.id == task_id)
    )
    return (await db.execute(stmt)).first()


async def occurrence_exists(db: AsyncSession, series_id: uuid.UUID, index: int) -> bool:
    """True when the series already has its occurrence number `index` (live or trashed)."""
    stmt = select(Task.id).where(Task.series_id == series_id, Task.occurrence_index == index)
    return (await db.execute(stmt)).first() is not None


async def due_fixed_series(db: AsyncSession, now: datetime, limit: int = 500) -> list[uuid.UUID]:
    """Latest occurrences of fixed-schedule series whose due time has come."""
    latest = (
        select(Task.id, Task.due_at, Task.deleted_at, Task.recurrence)
        .where(Task.series_id.is_not(None), Task.recurrence["mode"].astext == "fixed")
        .ext(distinct_on(Task.series_id))
        .order_by(Task.series_id, Task.occurrence_index.desc())
        .subquery()
    )
    rows = await db.execute(
        select(latest.c.id)
        .where(latest.c.deleted_at.is_(None), latest.c.due_at <= now)
        .limit(limit)
    )
    return list(rows.scalars())


async def trashed_before(db: AsyncSession, cutoff: datetime, limit: int) -> list[uuid.UUID]:
    """Up to `limit` tasks trashed before `cutoff`, locked (SKIP LOCKED: a purge running
    elsewhere keeps its own)."""
    stmt = (
        select(Task.id)
        .where(Task.deleted_at < cutoff)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await db.execute(stmt)).scalars())


async def delete_tasks(db: AsyncSession, task_ids: list[uuid.UUID]) -> None:
    """Hard-delete these tasks (their comments go with them by the foreign key)."""
    await db.execute(delete(Task).where(Task.id.in_(task_ids)))
