"""SQL of dependencies: the link table, cycle search, open blockers, newly unblocked tasks."""

from __future__ import annotations

import functools
import uuid
from typing import Any

from sqlalchemy import and_, delete, exists, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from taskflow.tasks.dependencies.models import Dependency
from taskflow.tasks.projects.models import Member, Project
from taskflow.tasks.tasks.models import Task

CLOSED = ("done", "cancelled")
#: One advisory lock serialises every change of the dependency graph, so two links added at
#: once cannot close a cycle that neither saw (links are rare; the lock is held briefly).
_GRAPH_LOCK = text("SELECT pg_advisory_xact_lock(hashtext('tasks.task_dependencies'))")


async def lock_graph(db: AsyncSession) -> None:
    """Take the graph lock until the transaction ends."""
    await db.execute(_GRAPH_LOCK)


async def get(db: AsyncSession, blocker_id: uuid.UUID, blocked_id: uuid.UUID) -> Dependency | None:
    """The link, if it exists."""
    return await db.get(Dependency, (blocker_id, blocked_id))


async def reaches(db: AsyncSession, start: uuid.UUID, target: uuid.UUID) -> bool:
    """True when `start` blocks `target`, directly or through other tasks."""
    row = await db.execute(
        text(
            "WITH RECURSIVE down(id, depth) AS ("
            " SELECT blocked_id, 1 FROM tasks.task_dependencies WHERE blocker_id = :s"
            " UNION SELECT d.blocked_id, down.depth + 1 FROM tasks.task_dependencies d"
            " JOIN down ON d.blocker_id = down.id WHERE down.depth < 10000)"
            " SELECT 1 FROM down WHERE id = :t LIMIT 1"
        ),
        {"s": start, "t": target},
    )
    return row.first() is not None


async def remove(db: AsyncSession, blocker_id: uuid.UUID, blocked_id: uuid.UUID) -> bool:
    """Delete the link; False when there was none."""
    result = await db.execute(
        delete(Dependency).where(
            Dependency.blocker_id == blocker_id, Dependency.blocked_id == blocked_id
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


@functools.cache
def open_blocker_exists() -> Any:
    """Condition on `Task`: some live blocker of the task is neither done nor cancelled.

    Built once: SQL expressions are immutable, and building this one (two ORM aliases) cost
    about 4 ms of CPU on every list request, most of a page's statement construction.
    """
    # Own aliases: a query that already joins the link table must not correlate to it.
    blocker = aliased(Task)
    link = aliased(Dependency)
    return exists().where(
        link.blocked_id == Task.id,
        blocker.id == link.blocker_id,
        blocker.deleted_at.is_(None),
        blocker.status_category.not_in(CLOSED),
    )


async def open_blockers(db: AsyncSession, task_id: uuid.UUID) -> list[Any]:
    """The open blockers of a task (id, key, title), whichever project they are in."""
    rows = await db.execute(
        select(Task.id, Project.key, Task.number, Task.title)
        .join(Dependency, Dependency.blocker_id == Task.id)
        .join(Project, Project.id == Task.project_id)
        .where(
            Dependency.blocked_id == task_id,
            Task.deleted_at.is_(None),
            Task.status_category.not_in(CLOSED),
        )
        .order_by(Project.key, Task.number)
    )
    return list(rows.all())


async def newly_unblocked(db: AsyncSession, blocker_id: uuid.UUID) -> list[uuid.UUID]:
    """Live tasks blocked by `blocker_id` (now closed) that have no other open blocker."""
    rows = await db.execute(
        select(Task.id)
        .join(Dependency, Dependency.blocked_id == Task.id)
        .where(
            Dependency.blocker_id == blocker_id,
            Task.deleted_at.is_(None),
            ~open_blocker_exists(),
        )
        .order_by(Task.id)
    )
    return list(rows.scalars())


async def linked(db: AsyncSession, task_id: uuid.UUID, me: uuid.UUID) -> list[Any]:
    """Both ends of the task's links that the caller may see: rows with `direction`
    (`blocked_by` / `blocks`), the other task's fields and its project key."""
    other = aliased(Task)
    direction = (Dependency.blocked_id == task_id).label("is_blocker")
    rows = await db.execute(
        select(
            direction,
            other.id,
            other.project_id,
            Project.key,
            other.number,
            other.title,
            other.status,
            other.status_category,
            other.deleted_at,
        )
        .select_from(Dependency)
        .join(
            other,
            or_(
                and_(Dependency.blocked_id == task_id, other.id == Dependency.blocker_id),
                and_(Dependency.blocker_id == task_id, other.id == Dependency.blocked_id),
            ),
        )
        .join(Project, and_(Project.id == other.project_id, Project.deleted_at.is_(None)))
        .join(Member, and_(Member.project_id == other.project_id, Member.user_id == me))
        .order_by(Project.key, other.number)
    )
    return list(rows.all())
