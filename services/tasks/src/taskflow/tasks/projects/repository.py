"""SQL of projects and members."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, case, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from taskflow.common.pagination import Page, PageParams, keyset_page
from taskflow.tasks.projects.models import Member, Project
from taskflow.tasks.sorting import SortSpec
from taskflow.tasks.users.models import User

PROGRESS = case(
    (Project.tasks_total == 0, 0), else_=(Project.tasks_done * 100) / Project.tasks_total
)

_SORT_EXPR: dict[str, tuple[Any, bool]] = {
    "name": (Project.name, False),
    "created_at": (Project.created_at, False),
    "target_date": (Project.target_date, True),
    "start_date": (Project.start_date, True),
    "progress": (PROGRESS, False),
}


def project_sort(sort: str) -> SortSpec:
    """The keyset sort of a project list (`-field` for descending)."""
    desc = sort.startswith("-")
    expr, nullable = _SORT_EXPR[sort.lstrip("-")]
    return SortSpec(sort, expr, Project.id, desc=desc, nullable=nullable)


async def get_for_update(
    db: AsyncSession, project_id: uuid.UUID, *, include_deleted: bool = False
) -> Project | None:
    """The project row, locked against other writers until the transaction ends.

    `FOR NO KEY UPDATE` (not `FOR UPDATE`): it serializes writers exactly the same, but does
    not block inserts whose foreign key points at the row (a task created meanwhile).
    """
    stmt = (
        select(Project)
        .where(Project.id == project_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    if not include_deleted:
        stmt = stmt.where(Project.deleted_at.is_(None))
    return (await db.execute(stmt)).scalar_one_or_none()


async def get(db: AsyncSession, project_id: uuid.UUID) -> Project | None:
    """The project row (deleted or not)."""
    return await db.get(Project, project_id)


async def key_taken(db: AsyncSession, key: str) -> bool:
    """True when some project (even a deleted one) has this key."""
    return (await db.execute(select(Project.id).where(Project.key == key))).first() is not None


async def list_for_user(
    db: AsyncSession,
    user_id: uuid.UUID,
    *,
    status: Sequence[str] | None,
    health: Sequence[str] | None,
    archived: bool | None,
    q: str | None,
    sort: SortSpec,
    page: PageParams,
    trashed: bool = False,
) -> Page[Any]:
    """The live projects the user is a member of, as `(project, role)` rows, one page.

    The cursor is `(sort name, the sort column's value, id)`.

    `trashed`: instead, the soft-deleted ones the user owns; only an owner may restore a
    project, so the others' trash is none of their business (and stays invisible, as a
    deleted project is to everyone else).
    """
    stmt = select(Project, Member.role).join(
        Member, and_(Member.project_id == Project.id, Member.user_id == user_id)
    )
    if trashed:
        stmt = stmt.where(Project.deleted_at.is_not(None), Member.role == "owner")
    else:
        stmt = stmt.where(Project.deleted_at.is_(None))
    if status:
        stmt = stmt.where(Project.status.in_(status))
    if health:
        stmt = stmt.where(Project.health.in_(health))
    if archived is not None and not trashed:  # the trash holds archived projects too
        stmt = stmt.where(
            Project.archived_at.is_not(None) if archived else Project.archived_at.is_(None)
        )
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(Project.name.ilike(pattern) | Project.key.ilike(pattern))
    field = sort.name.lstrip("-")
    return await keyset_page(
        db,
        stmt,
        sort.keys(),
        page,
        scalars=False,
        key=lambda row: (_sort_value(row[0], field), row[0].id),
        prefix=(sort.name,),
    )


def _sort_value(project: Project, field: str) -> Any:
    """The value of the sort column in Python (`PROGRESS` as SQL computes it)."""
    if field == "progress":
        return project.tasks_done * 100 // project.tasks_total if project.tasks_total else 0
    return getattr(project, field)


async def bump_counter(
    db: AsyncSession, project_id: uuid.UUID, *, total: int = 0, done: int = 0
) -> tuple[int, str]:
    """Take the next task number; the UPDATE row-locks the project until commit.

    `total`/`done`: the new task's share of the progress counters (see `adjust_counts`), in
    the same UPDATE, so a create touches the project row in one round trip instead of two.
    """
    values: dict[str, Any] = {"task_counter": Project.task_counter + 1}
    if total or done:
        values["tasks_total"] = Project.tasks_total + total
        values["tasks_done"] = Project.tasks_done + done
    row = (
        await db.execute(
            update(Project)
            .where(Project.id == project_id)
            .values(**values)
            .returning(Project.task_counter, Project.key)
        )
    ).one()
    return int(row[0]), str(row[1])


async def adjust_counts(db: AsyncSession, project_id: uuid.UUID, total: int, done: int) -> None:
    """Keep `tasks_total`/`tasks_done` in step with a task write (same transaction)."""
    if total == 0 and done == 0:
        return
    await db.execute(
        update(Project)
        .where(Project.id == project_id)
        .values(tasks_total=Project.tasks_total + total, tasks_done=Project.tasks_done + done)
    )


async def get_member(db: AsyncSession, project_id: uuid.UUID, user_id: uuid.UUID) -> Member | None:
    """One membership."""
    return await db.get(Member, (project_id, user_id), populate_existing=True)


async def count_owners(db: AsyncSession, project_id: uuid.UUID) -> int:
    """How many owners the project has (read under the project row lock)."""
    return int(
        (
            await db.execute(
                select(func.count())
                .select_from(Member)
                .where(Member.project_id == project_id, Member.role == "owner")
            )
        ).scalar_one()
    )


async def list_members(db: AsyncSession, project_id: uuid.UUID, page: PageParams) -> Page[Any]:
    """Members with their projected profile (`(member, user or None)` rows), in join order."""
    stmt = (
        select(Member, User)
        .outerjoin(User, User.id == Member.user_id)
        .where(Member.project_id == project_id)
    )
    return await keyset_page(
        db,
        stmt,
        [Member.created_at, Member.user_id],
        page,
        scalars=False,
        key=lambda row: (row[0].created_at, row[0].user_id),
    )


async def member_ids(
    db: AsyncSession, project_id: uuid.UUID, user_ids: list[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of `user_ids` are members of the project."""
    if not user_ids:
        return set()
    rows = await db.execute(
        select(Member.user_id).where(Member.project_id == project_id, Member.user_id.in_(user_ids))
    )
    return set(rows.scalars())


async def share_a_project(db: AsyncSession, user_id: uuid.UUID, other_id: uuid.UUID) -> bool:
    """True when the two users are members of at least one common project."""
    mine, theirs = aliased(Member), aliased(Member)
    found = await db.scalar(
        select(mine.project_id)
        .join(theirs, theirs.project_id == mine.project_id)
        .where(mine.user_id == user_id, theirs.user_id == other_id)
        .limit(1)
    )
    return found is not None


async def member_emails(
    db: AsyncSession, project_id: uuid.UUID
) -> list[tuple[uuid.UUID, str | None]]:
    """Each member of the project with the address the users projection knows (or None)."""
    rows = await db.execute(
        select(Member.user_id, User.email)
        .outerjoin(User, User.id == Member.user_id)
        .where(Member.project_id == project_id)
    )
    return [(uid, email) for uid, email in rows.all()]


async def membership(
    db: AsyncSession, project_id: uuid.UUID, user_id: uuid.UUID
) -> Row[str, datetime | None, datetime | None] | None:
    """The user's `role` in the project with the project's `archived_at` and `deleted_at`;
    None when the user is not a member."""
    stmt = (
        select(Member.role, Project.archived_at, Project.deleted_at)
        .join(Project, Project.id == Member.project_id)
        .where(Member.project_id == project_id, Member.user_id == user_id)
    )
    return (await db.execute(stmt)).first()


async def members_matching(
    db: AsyncSession,
    project_id: uuid.UUID,
    *,
    ids: list[uuid.UUID],
    emails: list[str],
    local_parts: list[str],
) -> list[tuple[uuid.UUID, str | None]]:
    """Members of the project named by one of `ids`, by an address in `emails` or by the
    part before the `@` of their address, each with the address the users projection knows."""
    conds = [Member.user_id.in_(ids)] if ids else []
    if emails or local_parts:
        conds.append(User.email.in_(emails))
        conds.append(func.split_part(User.email, "@", 1).in_(local_parts))
    rows = await db.execute(
        select(Member.user_id, User.email)
        .outerjoin(User, User.id == Member.user_id)
        .where(and_(Member.project_id == project_id, or_(*conds)))
    )
    return [(uid, email) for uid, email in rows.all()]


async def trashed_before(db: AsyncSession, cutoff: datetime, limit: int) -> list[uuid.UUID]:
    """Up to `limit` projects trashed before `cutoff`, locked (SKIP LOCKED: a purge running
    elsewhere keeps its own)."""
    stmt = (
        select(Project.id)
        .where(Project.deleted_at < cutoff)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await db.execute(stmt)).scalars())


async def delete_projects(db: AsyncSession, project_ids: list[uuid.UUID]) -> None:
    """Hard-delete these projects (what they hold goes with them by the foreign keys)."""
    await db.execute(delete(Project).where(Project.id.in_(project_ids)))
