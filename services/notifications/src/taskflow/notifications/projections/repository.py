"""SQL of the projections: upserts that never let an older event overwrite newer state."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.notifications.preferences.models import Preferences
from taskflow.notifications.projections.models import (
    MembershipProjection,
    ProjectProjection,
    TaskProjection,
    UserProjection,
)


async def upsert_user(session: AsyncSession, user_id: uuid.UUID, **values: Any) -> None:
    """Insert or update a user; only the given columns change."""
    stmt = insert(UserProjection).values(id=user_id, **values)
    if values:
        stmt = stmt.on_conflict_do_update(index_elements=["id"], set_=values)
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=["id"])
    await session.execute(stmt)


async def users(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, UserProjection]:
    """Users by id (missing ids are simply absent)."""
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = await session.scalars(select(UserProjection).where(UserProjection.id.in_(wanted)))
    return {u.id: u for u in rows}


async def people(
    session: AsyncSession, ids: Iterable[uuid.UUID]
) -> tuple[dict[uuid.UUID, UserProjection], dict[uuid.UUID, Preferences]]:
    """Users and their stored preferences in one round trip (either may be missing)."""
    wanted = list(set(ids))
    if not wanted:
        return {}, {}
    stmt = (
        select(UserProjection, Preferences)
        .join(Preferences, Preferences.user_id == UserProjection.id, full=True)
        .where(func.coalesce(UserProjection.id, Preferences.user_id).in_(wanted))
    )
    users: dict[uuid.UUID, UserProjection] = {}
    prefs: dict[uuid.UUID, Preferences] = {}
    for user, pref in await session.execute(stmt):
        if user is not None:
            users[user.id] = user
        if pref is not None:
            prefs[pref.user_id] = pref
    return users, prefs


async def add_member(
    session: AsyncSession, project_id: uuid.UUID, user_id: uuid.UUID, role: str
) -> None:
    stmt = insert(MembershipProjection).values(project_id=project_id, user_id=user_id, role=role)
    await session.execute(
        stmt.on_conflict_do_update(index_elements=["project_id", "user_id"], set_={"role": role})
    )


async def remove_member(session: AsyncSession, project_id: uuid.UUID, user_id: uuid.UUID) -> None:
    await session.execute(
        delete(MembershipProjection).where(
            MembershipProjection.project_id == project_id, MembershipProjection.user_id == user_id
        )
    )


async def members(session: AsyncSession, project_id: uuid.UUID) -> set[uuid.UUID]:
    rows = await session.scalars(
        select(MembershipProjection.user_id).where(MembershipProjection.project_id == project_id)
    )
    return set(rows)


async def projects_of(session: AsyncSession, user_id: uuid.UUID) -> set[uuid.UUID]:
    rows = await session.scalars(
        select(MembershipProjection.project_id).where(MembershipProjection.user_id == user_id)
    )
    return set(rows)


async def upsert_project(session: AsyncSession, project_id: uuid.UUID, **values: Any) -> None:
    stmt = insert(ProjectProjection).values(id=project_id, **values)
    if values:
        stmt = stmt.on_conflict_do_update(index_elements=["id"], set_=values)
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=["id"])
    await session.execute(stmt)


async def project(session: AsyncSession, project_id: uuid.UUID) -> ProjectProjection | None:
    return await session.get(ProjectProjection, project_id)


async def task(session: AsyncSession, task_id: uuid.UUID) -> TaskProjection | None:
    # populate_existing: `apply_task` writes with Core, so an object already in the
    # session's identity map (an earlier event of the same batch) may be out of date.
    return await session.get(TaskProjection, task_id, populate_existing=True)


#: Columns of the stored row that `apply_task` hands back as it was before the change.
BEFORE_COLUMNS = ("version", "due_at", "title", "done", "deleted", "assignee_ids", "reminders")


@functools.cache
def _apply_task_statement(names: tuple[str, ...]) -> Any:
    """The upsert of `apply_task`, built once per column set (building it costs more than
    running it: a CTE, seven scalar subqueries and the ON CONFLICT clause)."""
    t = TaskProjection.__table__
    old = (
        select(*(t.c[name] for name in BEFORE_COLUMNS))
        .where(t.c.id == bindparam("task_id"))
        .cte("old")
    )
    upsert = insert(TaskProjection).values(
        id=bindparam("task_id"), **{name: bindparam(f"v_{name}") for name in names}
    )
    upsert = upsert.on_conflict_do_update(
        index_elements=[t.c.id],
        set_={name: upsert.excluded[name] for name in names},
        where=t.c.version < upsert.excluded.version,
    )
    return upsert.add_cte(old).returning(
        *(select(old.c[name]).scalar_subquery().label(name) for name in BEFORE_COLUMNS)
    )


async def apply_task(
    session: AsyncSession, task_id: uuid.UUID, values: dict[str, Any]
) -> tuple[bool, dict[str, Any] | None]:
    """Store a task snapshot unless the stored one is as new or newer, in one round trip.

    Returns `(applied, before)`: `before` is the stored row as it was (None when the task was
    new). `before` comes from the statement's snapshot; the queue has a single active consumer,
    so no other writer of this projection runs concurrently.
    """
    stmt = _apply_task_statement(tuple(values))
    params = {"task_id": task_id, **{f"v_{name}": value for name, value in values.items()}}
    row = (await session.execute(stmt, params)).mappings().one_or_none()
    if row is None:
        return False, None
    return True, (dict(row) if row["version"] is not None else None)


async def open_tasks_due_for(
    session: AsyncSession, user_id: uuid.UUID, limit: int = 1000
) -> list[TaskProjection]:
    """Open tasks with a due date assigned to the user (the ICS feed)."""
    stmt = (
        select(TaskProjection)
        .where(
            TaskProjection.assignee_ids.contains([user_id]),
            TaskProjection.due_at.is_not(None),
            TaskProjection.done.is_(False),
            TaskProjection.deleted.is_(False),
        )
        .order_by(TaskProjection.due_at)
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


def stamp(now: datetime) -> dict[str, datetime]:
    return {"updated_at": now}


async def tasks(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, TaskProjection]:
    """The projected tasks with these ids (missing ones left out)."""
    rows = await session.scalars(select(TaskProjection).where(TaskProjection.id.in_(set(ids))))
    return {t.id: t for t in rows}
