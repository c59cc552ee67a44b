"""Copies of tasks: a duplicate in the same project, or a project's tasks into a new project.

A copy is a new task made by the ordinary create path (`service.create`: numbering, the WIP
check, activity, `task.created`), from the original's fields with the project-scoped ids
mapped. Comments, activity, dependencies and the series history are not copied: a copy starts
its own life (a recurring original starts a new series). Mentions in a copied description were
announced with the original, so the copy does not announce them again.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.tasks.projects.auth import ProjectAccess, not_found
from taskflow.tasks.tasks import repository as repo
from taskflow.tasks.tasks import service
from taskflow.tasks.tasks.models import PRIORITIES, Task
from taskflow.tasks.tasks.schemas import TaskCreate, TaskDuplicate, TaskRead

#: Identity: a copy in the same project keeps every id.
Same = Callable[[uuid.UUID], uuid.UUID | None]


def _same(value: uuid.UUID) -> uuid.UUID | None:
    return value


def copy_of(
    task: Task,
    *,
    title: str | None = None,
    parent_id: uuid.UUID | None = None,
    status: Same = _same,
    label: Same = _same,
    milestone: Same = _same,
    person: Same = _same,
) -> TaskCreate:
    """The create body of a copy of `task`, every project-scoped id passed through a map
    (an id that maps to None is left out)."""

    def each(ids: list[uuid.UUID] | None, f: Same) -> list[uuid.UUID]:
        return [m for m in (f(x) for x in ids or []) if m is not None]

    fields: dict[str, Any] = {
        "title": title or task.title,
        "description": task.description,
        "status_id": status(task.status_id),
        "priority": PRIORITIES[task.priority],
        "label_ids": each(task.label_ids, label),
        "assignee_ids": each(task.assignee_ids, person),
        "watcher_ids": each(task.watcher_ids, person),
        "due_at": task.due_at,
        "start_at": task.start_at,
        "reminders": list(task.reminders or []),
        "recurrence": task.recurrence,
        "progress": task.progress,
        "estimate_minutes": task.estimate_minutes,
        "parent_id": parent_id,
        "milestone_id": milestone(task.milestone_id) if task.milestone_id else None,
    }
    return TaskCreate.model_validate(fields)


def parents_first(tasks: list[Task]) -> list[Task]:
    """`tasks` ordered so that every parent (among them) comes before its children."""
    by_id = {t.id: t for t in tasks}

    def depth(t: Task) -> int:
        d, seen, cur = 0, {t.id}, t.parent_id
        while cur is not None and cur in by_id and cur not in seen:
            seen.add(cur)
            d, cur = d + 1, by_id[cur].parent_id
        return d

    return sorted(tasks, key=lambda t: (depth(t), t.number))


async def duplicate(
    db: AsyncSession,
    access: ProjectAccess,
    task_id: uuid.UUID,
    body: TaskDuplicate,
    *,
    override_wip: bool = False,
) -> TaskRead:
    """A copy of a live task (and, if asked, of its live subtasks) in its own project."""
    access.require_writable()
    original = await db.get(Task, task_id)
    if original is None or original.deleted_at is not None:
        raise not_found("task")
    family = [original]
    if body.include_subtasks:
        ids = await repo.subtree_ids(db, task_id)
        found = {t.id: t for t in await repo.tasks_by_ids(db, ids)}
        live = {i for i, t in found.items() if t.deleted_at is None}
        # A subtask is copied when its whole chain up to the original is live.
        family += [
            found[i]
            for i in ids
            if i != task_id and i in live and _chain_live(found, i, task_id, live)
        ]
    copies: dict[uuid.UUID, uuid.UUID] = {}
    first: TaskRead | None = None
    for task in family:
        is_root = task.id == task_id
        data = copy_of(
            task,
            title=body.title if is_root else None,
            parent_id=task.parent_id if is_root else copies[task.parent_id or task_id],
        )
        made = await service.create(db, access, data, override_wip=override_wip, mentions=False)
        copies[task.id] = made.id
        first = first or made
    assert first is not None
    return first


def _chain_live(
    found: dict[uuid.UUID, Task], task_id: uuid.UUID, root: uuid.UUID, live: set[uuid.UUID]
) -> bool:
    cur: uuid.UUID | None = task_id
    seen: set[uuid.UUID] = set()
    while cur is not None and cur != root and cur not in seen:
        if cur not in live:
            return False
        seen.add(cur)
        cur = found[cur].parent_id if cur in found else None
    return cur == root
