"""The statement behind every task list and search: filters, full-text search and sort.
Building it does no I/O; `repository.list_tasks` pages it with `keyset_page`.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    exists,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
)

from taskflow.tasks.dependencies.repository import open_blocker_exists
from taskflow.tasks.projects.models import Member, Project
from taskflow.tasks.sorting import SortSpec
from taskflow.tasks.tasks.models import PRIORITIES, SEARCH_COLUMNS, Task
from taskflow.tasks.tasks.schemas import TaskFilters
from taskflow.tasks.workflows.models import CATEGORIES
from taskflow.tasks.workflows.models import CLOSED_CATEGORIES as CLOSED

_LAST_WORD = re.compile(r"(\w+)$")


_CFG: ColumnElement[Any] = literal_column("'english'::regconfig")


_SIMPLE: ColumnElement[Any] = literal_column("'simple'::regconfig")


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
    search_scope: list[uuid.UUID] | None = None,
    check_member: bool = False,
) -> tuple[Select[Any], SortSpec]:
    """The SELECT of the live tasks the caller may see (a project or all of theirs), and its
    sort order; `repository.list_tasks` pages it.

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
    return _filters(stmt, filters, me), task_sort(sort_name, rank)
