"""SQL of tasks: locking reads, reference checks, lists with filters, search."""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    exists,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.tasks.dependencies.repository import open_blocker_exists
from taskflow.tasks.labels.models import Label
from taskflow.tasks.milestones.models import Milestone
from taskflow.tasks.projects.models import Member, Project
from taskflow.tasks.sorting import SortSpec
from taskflow.tasks.tasks.models import PRIORITIES, SEARCH_COLUMNS, Task, TaskKeyRedirect
from taskflow.tasks.tasks.schemas import TaskFilters
from taskflow.tasks.workflows.models import CATEGORIES

_LAST_WORD = re.compile(r"(\w+)$")
CLOSED = ("done", "cancelled")  # status categories
_CFG: ColumnElement[Any] = literal_column("'english'::regconfig")
_SIMPLE: ColumnElement[Any] = literal_column("'simple'::regconfig")


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


async def project_key(db: AsyncSession, project_id: uuid.UUID) -> str:
    """The key of a project (for `OPS-12`)."""
    return str((await db.execute(select(Project.key).where(Project.id == project_id))).scalar_one())


async def labels_in_project(
    db: AsyncSession, project_id: uuid.UUID, ids: list[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of `ids` are labels of the project."""
    if not ids:
        return set()
    rows = await db.execute(
        select(Label.id).where(Label.project_id == project_id, Label.id.in_(ids))
    )
    return set(rows.scalars())


async def milestone_in_project(db: AsyncSession, project_id: uuid.UUID, mid: uuid.UUID) -> bool:
    """True when the milestone belongs to the project."""
    row = await db.execute(
        select(Milestone.id).where(Milestone.id == mid, Milestone.project_id == project_id)
    )
    return row.first() is not None


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


# --- lists and search -------------------------------------------------------------------


def search_query(q: str) -> ColumnElement[Any]:
    """The tsquery of a search box: the words as typed, or the last word as a prefix.

    `websearch_to_tsquery` gives the search-engine syntax ("quoted phrases", -exclusions,
    or); for search-as-you-type the last, unfinished word also matches as a prefix. The
    prefix term is made only of word characters, so no tsquery syntax can be injected.
    """
    full = func.websearch_to_tsquery(_CFG, q)
    stripped = q.rstrip()
    m = _LAST_WORD.search(stripped) if stripped == q else None
    if m is None:
        return full
    rest = stripped[: m.start()]
    if rest.endswith("-"):
        return full
    prefix: ColumnElement[Any] = func.to_tsquery(_CFG, m.group(1) + ":*")
    if rest.strip():
        prefix = func.websearch_to_tsquery(_CFG, rest).op("&&")(prefix)
    return full.op("||")(prefix)


def project_lexeme(project_id: uuid.UUID) -> str:
    """The lexeme naming a project in the search vector (see `models.SEARCH_VECTOR`)."""
    return "prj" + project_id.hex


def scope_query(project_ids: list[uuid.UUID]) -> ColumnElement[Any]:
    """A tsquery matching tasks of any of these projects (hex lexemes only: no injection)."""
    terms = " | ".join(project_lexeme(p) for p in project_ids)
    return func.to_tsquery(_SIMPLE, terms)


async def my_project_id_list(db: AsyncSession, user_id: uuid.UUID) -> list[uuid.UUID]:
    """The live projects the user is a member of."""
    return list((await db.execute(my_project_ids(user_id))).scalars())


def task_sort(name: str, rank: ColumnElement[Any] | None) -> SortSpec:
    """The keyset sort of a task list."""
    desc = name.startswith("-")
    field = name.lstrip("-")
    if field == "rank":
        assert rank is not None
        return SortSpec(name, rank, Task.id, desc=True)
    column: Any = getattr(Task, field)
    return SortSpec(name, column, Task.id, desc=desc, nullable=field == "due_at")


def status_condition(values: list[str]) -> ColumnElement[bool]:
    """`status=` values: a status id, a category (`done`), or else a status name (`blocked`).

    Names are compared case-insensitively, as the workflow keeps them unique that way. In the
    default workflow a category and the status of that name are the same tasks.
    """
    ids: list[uuid.UUID] = []
    categories: list[str] = []
    names: list[str] = []
    for value in values:
        try:
            ids.append(uuid.UUID(value))
            continue
        except ValueError:
            pass
        if value in CATEGORIES:
            categories.append(value)
        else:
            names.append(value.lower())
    conditions: list[ColumnElement[bool]] = []
    if ids:
        conditions.append(Task.status_id.in_(ids))
    if categories:
        conditions.append(Task.status_category.in_(categories))
    if names:
        conditions.append(func.lower(Task.status).in_(names))
    return or_(*conditions)


def _filters(stmt: Select[Any], f: TaskFilters, me: uuid.UUID) -> Select[Any]:
    if f.status:
        stmt = stmt.where(status_condition(f.status))
    if f.priority:
        stmt = stmt.where(Task.priority.in_([PRIORITIES.index(p) for p in f.priority]))
    if f.assignee == "none":
        stmt = stmt.where(func.cardinality(Task.assignee_ids) == 0)
    elif f.assignee is not None:
        who = me if f.assignee == "me" else uuid.UUID(f.assignee)
        stmt = stmt.where(Task.assignee_ids.contains([who]))
    if f.label:
        stmt = stmt.where(Task.label_ids.overlap(f.label))
    if f.milestone == "none":
        stmt = stmt.where(Task.milestone_id.is_(None))
    elif f.milestone is not None:
        stmt = stmt.where(Task.milestone_id == uuid.UUID(f.milestone))
    if f.parent == "none":
        stmt = stmt.where(Task.parent_id.is_(None))
    elif f.parent is not None:
        stmt = stmt.where(Task.parent_id == uuid.UUID(f.parent))
    if f.due_before is not None:
        stmt = stmt.where(Task.due_at < f.due_before)
    if f.due_after is not None:
        stmt = stmt.where(Task.due_at >= f.due_after)
    overdue = and_(Task.due_at < func.now(), Task.status_category.not_in(CLOSED))
    if f.overdue is True:
        stmt = stmt.where(overdue)
    elif f.overdue is False:
        stmt = stmt.where(not_(func.coalesce(overdue, False)))
    if f.created_before is not None:
        stmt = stmt.where(Task.created_at < f.created_before)
    if f.created_after is not None:
        stmt = stmt.where(Task.created_at >= f.created_after)
    if f.updated_before is not None:
        stmt = stmt.where(Task.updated_at < f.updated_before)
    if f.updated_after is not None:
        stmt = stmt.where(Task.updated_at >= f.updated_after)
    if f.recurring is True:
        stmt = stmt.where(Task.recurrence.is_not(None))
    elif f.recurring is False:
        stmt = stmt.where(Task.recurrence.is_(None))
    if f.blocked is not None:
        blocked = open_blocker_exists()
        stmt = stmt.where(blocked if f.blocked else not_(blocked))
    return stmt


def my_project_ids(user_id: uuid.UUID) -> Select[Any]:
    """Sub-select: the live projects the user is a member of."""
    return (
        select(Member.project_id)
        .join(Project, Project.id == Member.project_id)
        .where(Member.user_id == user_id, Project.deleted_at.is_(None))
    )


#: The columns a list row needs (everything `TaskRead` shows): a Core select of these skips
#: ORM identity-map bookkeeping and never transfers the `search` tsvector, the widest column.
LIST_COLUMNS: tuple[ColumnElement[Any], ...] = tuple(
    c for c in Task.__table__.c if c.key not in SEARCH_COLUMNS
)


def list_statement(
    *,
    me: uuid.UUID,
    project_id: uuid.UUID | None,
    filters: TaskFilters,
    sort_name: str,
    after: list[Any] | None,
    limit: int,
    search_scope: list[uuid.UUID] | None = None,
    check_member: bool = False,
) -> Select[Any]:
    """The SELECT of one page of live tasks the caller may see (a project or all of theirs).

    Rows are plain Core rows (`LIST_COLUMNS`, `key`, `rank`), not ORM objects.

    With a search, `search_scope` (the caller's project ids, or the one project) is ANDed into
    the tsquery so that the GIN index alone finds matching tasks of those projects; the
    `project_id` condition stays as well, so visibility never depends on that optimisation.

    `check_member` (one project): the caller's membership and the project being live are
    conditions of the same query, so a member's list costs one round trip instead of two;
    an empty page then needs `projects.auth.project_access` to tell "no tasks" from 404.
    """
    rank: ColumnElement[Any] | None = None
    query: ColumnElement[Any] | None = None
    if filters.q:
        query = search_query(filters.q)
        rank = func.ts_rank(Task.search, query)
    stmt: Select[Any] = select(
        *LIST_COLUMNS,
        Project.key.label("key"),
        (rank if rank is not None else literal(None)).label("rank"),
        # One probe of the link index per row of the page (board: the lock badge).
        open_blocker_exists().label("blocked"),
    ).join(Project, Project.id == Task.project_id)
    stmt = stmt.where(Task.deleted_at.is_(None))
    if project_id is not None:
        stmt = stmt.where(Task.project_id == project_id)
        if check_member:
            stmt = stmt.where(
                Project.deleted_at.is_(None),
                exists().where(Member.project_id == project_id, Member.user_id == me),
            )
    else:
        stmt = stmt.where(Task.project_id.in_(my_project_ids(me)))
    if query is not None:
        scope = (
            search_scope
            if search_scope is not None
            else ([project_id] if project_id is not None else None)
        )
        matcher = query if not scope else query.op("&&")(scope_query(scope))
        stmt = stmt.where(Task.search.op("@@")(matcher))
    stmt = _filters(stmt, filters, me)
    sort = task_sort(sort_name, rank)
    if after is not None:
        stmt = stmt.where(sort.after(after[1], after[2]))
    return stmt.order_by(*sort.order_by()).limit(limit + 1)


async def list_tasks(
    db: AsyncSession, stmt: Select[Any], *, custom_plan: bool = False
) -> list[Row[Any]]:
    """Run a list statement.

    `custom_plan`: plan with the actual values. asyncpg prepares statements, and after five runs
    PostgreSQL may switch to a generic plan, which cannot see how selective a tsquery, an
    assignee or a project is (a generic search plan probed the GIN index once per project:
    80 ms against 16 ms at a million tasks). Planning costs well under a millisecond here;
    `SET LOCAL` limits the setting to the request's transaction.
    """
    if custom_plan:
        await db.execute(_CUSTOM_PLAN)
    return list((await db.execute(stmt)).all())


_CUSTOM_PLAN = text("SET LOCAL plan_cache_mode = force_custom_plan")


async def trash(
    db: AsyncSession, project_id: uuid.UUID, *, after: list[Any] | None, limit: int
) -> list[tuple[Task, str]]:
    """Trashed tasks of a project, most recently deleted first."""
    stmt = (
        select(Task, Project.key)
        .join(Project, Project.id == Task.project_id)
        .where(Task.project_id == project_id, Task.deleted_at.is_not(None))
    )
    if after is not None:
        stmt = stmt.where(
            or_(
                Task.deleted_at < after[0],
                and_(Task.deleted_at == after[0], Task.id < after[1]),
            )
        )
    stmt = stmt.order_by(Task.deleted_at.desc(), Task.id.desc()).limit(limit + 1)
    return [(t, k) for t, k in (await db.execute(stmt)).all()]


# --- moves and copies ---------------------------------------------------------------------


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


async def label_names(db: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Names of these labels."""
    if not ids:
        return {}
    rows = await db.execute(select(Label.id, Label.name).where(Label.id.in_(ids)))
    return dict(rows.all())


async def labels_by_name(db: AsyncSession, project_id: uuid.UUID) -> dict[str, uuid.UUID]:
    """The project's labels by lower-cased name (names are unique regardless of case)."""
    rows = await db.execute(select(Label.id, Label.name).where(Label.project_id == project_id))
    return {n.lower(): i for i, n in rows.all()}


async def milestone_titles(db: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Titles of these milestones."""
    if not ids:
        return {}
    rows = await db.execute(select(Milestone.id, Milestone.title).where(Milestone.id.in_(ids)))
    return dict(rows.all())


async def milestones_by_title(db: AsyncSession, project_id: uuid.UUID) -> dict[str, uuid.UUID]:
    """The project's milestones by lower-cased title (the oldest wins a tie)."""
    rows = await db.execute(
        select(Milestone.id, Milestone.title)
        .where(Milestone.project_id == project_id)
        .order_by(Milestone.created_at.desc(), Milestone.id.desc())
    )
    return {t.lower(): i for i, t in rows.all()}


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
