"""Rules of tasks: create, change, trash and restore, lists and search.

Every write locks the task row first, checks the expected version, changes the state, and
writes the activity row and the outbox events in the same transaction (the request scope
commits once). Services never commit.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.clock import utcnow as now
from taskflow.common.concurrency import check_version
from taskflow.common.errors import Unprocessable
from taskflow.common.pagination import Page, PageParams, encode_cursor
from taskflow.common.security import Principal
from taskflow.events.ids import uuid7
from taskflow.tasks import events as ev
from taskflow.tasks.activity import service as activity
from taskflow.tasks.dependencies import service as dependencies
from taskflow.tasks.mentions import newly_mentioned
from taskflow.tasks.projects import repository as projects_repo
from taskflow.tasks.projects.auth import ProjectAccess, not_found, project_access
from taskflow.tasks.tasks import repository as repo
from taskflow.tasks.tasks.models import PRIORITIES, Task
from taskflow.tasks.tasks.schemas import TaskCreate, TaskFilters, TaskRead, TaskUpdate
from taskflow.tasks.workflows import service as workflows
from taskflow.tasks.workflows.models import ProjectStatus

#: Fields whose before/after go into activity and `task.updated`.
TRACKED = (
    "title", "description", "status", "status_id", "status_category", "priority", "label_ids",
    "assignee_ids", "watcher_ids",
    "due_at", "start_at", "reminders", "recurrence", "progress", "estimate_minutes",
    "parent_id", "milestone_id", "position", "completed_at",
)  # fmt: skip
NOT_NULL = ("title", "description", "status", "status_id", "priority", "label_ids", "assignee_ids",
            "watcher_ids", "reminders", "progress", "position")  # fmt: skip


def to_read(
    task: Task | Row[Any], key: str, rank: float | None = None, *, blocked: bool | None = None
) -> TaskRead:
    """The API view of a task: an ORM object, or a list row (`repository.LIST_COLUMNS`).

    `blocked` comes with a list row; for an ORM object the caller says it (default False).
    """
    return TaskRead(
        id=task.id,
        project_id=task.project_id,
        key=f"{key}-{task.number}",
        number=task.number,
        title=task.title,
        description=task.description,
        status=task.status,
        status_id=task.status_id,
        status_category=task.status_category,
        priority=PRIORITIES[task.priority],
        label_ids=list(task.label_ids or []),
        assignee_ids=list(task.assignee_ids or []),
        watcher_ids=list(task.watcher_ids or []),
        due_at=task.due_at,
        start_at=task.start_at,
        reminders=list(task.reminders or []),
        recurrence=task.recurrence,
        series_id=task.series_id,
        occurrence_index=task.occurrence_index,
        progress=task.progress,
        estimate_minutes=task.estimate_minutes,
        parent_id=task.parent_id,
        milestone_id=task.milestone_id,
        position=task.position,
        completed_at=task.completed_at,
        version=task.version,
        created_by=task.created_by,
        created_at=task.created_at,
        updated_at=task.updated_at,
        deleted_at=task.deleted_at,
        blocked=bool(getattr(task, "blocked", False) if blocked is None else blocked),
        rank=rank,
    )


def state_of(task: Task) -> dict[str, Any]:
    """The tracked fields of a task, for diffs."""
    out = {f: getattr(task, f) for f in TRACKED}
    out["priority"] = PRIORITIES[task.priority]
    out["label_ids"] = list(task.label_ids or [])
    out["assignee_ids"] = list(task.assignee_ids or [])
    out["watcher_ids"] = list(task.watcher_ids or [])
    return out


def counted(category: str, deleted: bool) -> tuple[int, int]:
    """What a task adds to its project's (total, done) progress counters (by status category)."""
    if deleted or category == "cancelled":
        return 0, 0
    return 1, 1 if category == "done" else 0


async def adjust_counts(
    db: AsyncSession, project_id: uuid.UUID, before: tuple[int, int], after: tuple[int, int]
) -> None:
    await projects_repo.adjust_counts(db, project_id, after[0] - before[0], after[1] - before[1])


def _err(field: str, msg: str, kind: str) -> dict[str, Any]:
    return {"loc": ["body", field], "msg": msg, "type": kind}


async def validate_refs(
    db: AsyncSession,
    project_id: uuid.UUID,
    values: dict[str, Any],
    *,
    task_id: uuid.UUID | None = None,
) -> None:
    """422 naming each field whose ids do not fit the project (labels, members, parent...)."""
    errors: list[dict[str, Any]] = []
    labels = values.get("label_ids")
    if labels:
        known = await repo.labels_in_project(db, project_id, labels)
        if unknown := [str(x) for x in labels if x not in known]:
            errors.append(
                _err("label_ids", f"unknown labels: {', '.join(unknown)}", "unknown_label")
            )
    for field in ("assignee_ids", "watcher_ids"):
        ids = values.get(field)
        if ids:
            members = await projects_repo.member_ids(db, project_id, list(set(ids)))
            if strangers := [str(x) for x in ids if x not in members]:
                errors.append(
                    _err(
                        field, f"not members of the project: {', '.join(strangers)}", "not_a_member"
                    )
                )
    milestone = values.get("milestone_id")
    if milestone is not None and not await repo.milestone_in_project(db, project_id, milestone):
        errors.append(
            _err("milestone_id", "no such milestone in this project", "unknown_milestone")
        )
    parent = values.get("parent_id")
    if parent is not None:
        if not await repo.parent_in_project(db, project_id, parent):
            errors.append(
                _err(
                    "parent_id", "the parent must be a live task of the same project", "bad_parent"
                )
            )
        elif task_id is not None and task_id in await repo.ancestor_ids(db, parent):
            errors.append(_err("parent_id", "this parent would make a cycle", "parent_cycle"))
    if errors:
        raise Unprocessable("Some fields do not fit this project.", errors=errors)


def reminders_json(reminders: list[Any]) -> list[dict[str, Any]]:
    """Reminders as stored: `{"before_minutes": n}` or `{"at": "<UTC ISO 8601>"}`."""
    out: list[dict[str, Any]] = []
    for r in reminders:
        item = r.model_dump(exclude_none=True) if hasattr(r, "model_dump") else dict(r)
        at = item.get("at")
        if isinstance(at, str):
            at = datetime.fromisoformat(at)
        if isinstance(at, datetime):
            out.append({"at": at.astimezone(UTC).isoformat()})
        elif item.get("before_minutes") is not None:
            out.append({"before_minutes": int(item["before_minutes"])})
    return out


def _dedupe(ids: list[uuid.UUID]) -> list[uuid.UUID]:
    return list(dict.fromkeys(ids))


async def create(
    db: AsyncSession,
    access: ProjectAccess,
    data: TaskCreate,
    *,
    series: tuple[uuid.UUID, int] | None = None,
    override_wip: bool = False,
    mentions: bool = True,
) -> TaskRead:
    """Create a task; numbers it under the project row lock (`OPS-124`).

    The status is the one named (`status_id` or `status`), else the first open status.
    `mentions=False` (the next occurrence of a series) does not announce the description's
    @mentions again: they were told when the series began.
    """
    access.require_writable()
    status = await workflows.resolve(
        db, access.project_id, status_id=data.status_id, name=data.status
    )
    await workflows.check_wip(db, access, status, task_id=None, override=override_wip)
    values = data.model_dump()
    values["label_ids"] = _dedupe(data.label_ids)
    values["assignee_ids"] = _dedupe(data.assignee_ids)
    values["watcher_ids"] = _dedupe(data.watcher_ids)
    await validate_refs(db, access.project_id, values)
    total, done = counted(status.category, False)
    number, key = await projects_repo.bump_counter(db, access.project_id, total=total, done=done)
    ts = now()
    task_id = uuid7()
    if series is None and data.recurrence is not None:
        series = (task_id, 0)
    task = Task(
        id=task_id,
        project_id=access.project_id,
        number=number,
        title=data.title,
        description=data.description,
        status=status.name,
        status_id=status.id,
        status_category=status.category,
        priority=PRIORITIES.index(data.priority),
        label_ids=values["label_ids"],
        assignee_ids=values["assignee_ids"],
        watcher_ids=values["watcher_ids"],
        due_at=data.due_at,
        start_at=data.start_at,
        reminders=reminders_json(data.reminders),
        recurrence=data.recurrence.model_dump() if data.recurrence else None,
        series_id=series[0] if series else None,
        occurrence_index=series[1] if series else None,
        progress=data.progress,
        estimate_minutes=data.estimate_minutes,
        parent_id=data.parent_id,
        milestone_id=data.milestone_id,
        position=data.position if data.position is not None else float(number),
        completed_at=ts if status.category == "done" else None,
        version=1,
        created_by=access.user_id,
        created_at=ts,
        updated_at=ts,
    )
    db.add(task)
    await db.flush()
    activity.record(
        db,
        project_id=task.project_id,
        task_id=task.id,
        actor_id=access.user_id,
        action="task.created",
        changes=activity.diff({}, state_of(task)),
    )
    mentioned = await newly_mentioned(db, task.project_id, None, task.description, access.user_id)
    await ev.emit(db, ev.task_created(task, key, mentioned), access.user_id)
    return to_read(task, key)


async def get(db: AsyncSession, task_id: uuid.UUID) -> TaskRead:
    """One task (the caller's access was checked by the route dependency)."""
    found = await repo.get_with_key(db, task_id)
    if found is None:
        raise not_found("task")
    return to_read(*found, blocked=await dependencies.is_blocked(db, task_id))


async def _locked(db: AsyncSession, task_id: uuid.UUID, *, deleted: bool | None = False) -> Task:
    task = await repo.get_for_update(db, task_id, deleted=deleted)
    if task is None:
        raise not_found("task")
    return task


def apply_status(task: Task, status: ProjectStatus, ts: datetime | None = None) -> None:
    """Put a task in a status; entering the `done` category completes it, leaving reopens."""
    if status.id == task.status_id:
        return
    if status.category == "done" and task.status_category != "done":
        task.completed_at = ts or now()
    elif status.category != "done":
        task.completed_at = None
    task.status_id, task.status, task.status_category = status.id, status.name, status.category


async def apply_changes(
    db: AsyncSession,
    access: ProjectAccess,
    task: Task,
    fields: dict[str, Any],
    *,
    override_wip: bool = False,
) -> TaskRead:
    """Apply validated field values to a locked task, with activity and events."""
    for name in NOT_NULL:
        if name in fields and fields[name] is None:
            raise Unprocessable(
                f"{name} cannot be null.", errors=[_err(name, "may not be null", "null")]
            )
    new_status: ProjectStatus | None = None
    if "status" in fields or "status_id" in fields:
        new_status = await workflows.resolve(
            db,
            task.project_id,
            status_id=fields.pop("status_id", None),
            name=fields.pop("status", None),
        )
        if new_status.id == task.status_id:
            new_status = None
        else:
            await workflows.check_wip(
                db, access, new_status, task_id=task.id, override=override_wip
            )
    for name in ("label_ids", "assignee_ids", "watcher_ids"):
        if name in fields:
            fields[name] = _dedupe(fields[name])
    start = fields.get("start_at", task.start_at)
    due = fields.get("due_at", task.due_at)
    if start is not None and due is not None and due < start:
        raise Unprocessable(
            "due_at must not be before start_at.",
            errors=[_err("due_at", "due_at is before start_at", "date_order")],
        )
    await validate_refs(
        db,
        task.project_id,
        {
            k: v
            for k, v in fields.items()
            if k in ("label_ids", "assignee_ids", "watcher_ids", "milestone_id", "parent_id")
        },
        task_id=task.id,
    )
    before = state_of(task)
    before_count = counted(task.status_category, False)
    closing = new_status is not None and _closes(task.status_category, new_status.category)
    if new_status is not None:
        if new_status.category == "done" and task.status_category != "done":
            await dependencies.check_completion(db, task)
        apply_status(task, new_status)
    for name, value in fields.items():
        if name == "priority":
            task.priority = PRIORITIES.index(value)
        elif name == "reminders":
            task.reminders = reminders_json(value)
        elif name == "recurrence":
            task.recurrence = (
                value if value is None or isinstance(value, dict) else value.model_dump()
            )
            if value is not None and task.series_id is None:
                task.series_id, task.occurrence_index = task.id, 0
        else:
            setattr(task, name, value)
    changed = activity.diff(before, state_of(task))
    key = await repo.project_key(db, task.project_id)
    if not changed:
        return to_read(task, key, blocked=await dependencies.is_blocked(db, task.id))
    task.version += 1
    task.updated_at = now()
    await adjust_counts(db, task.project_id, before_count, counted(task.status_category, False))
    activity.record(
        db,
        project_id=task.project_id,
        task_id=task.id,
        actor_id=access.user_id,
        action="task.updated",
        changes=changed,
    )
    mentioned = (
        await newly_mentioned(
            db, task.project_id, before["description"], task.description, access.user_id
        )
        if "description" in changed
        else []
    )
    for event in ev.task_change_events(task, key, changed, before, mentioned):
        await ev.emit(db, event, access.user_id)
    if closing:
        await dependencies.after_close(db, access.user_id, task)
    return to_read(task, key, blocked=await dependencies.is_blocked(db, task.id))


def _closes(before: str, after: str) -> bool:
    """An open category to a closed one: the tasks this one blocks may be free now."""
    return before not in repo.CLOSED and after in repo.CLOSED


async def strip_reference(
    db: AsyncSession,
    actor_id: uuid.UUID,
    project_id: uuid.UUID,
    *,
    user_id: uuid.UUID | None = None,
    label_id: uuid.UUID | None = None,
    milestone_id: uuid.UUID | None = None,
) -> int:
    """Take a leaving member, a deleted label or a deleted milestone off every task using it.

    Each task changes like a PATCH would: version bump, activity row, `task.updated` and, for
    a member, one `task.unassigned` per task, so consumers never keep a stale assignee, label
    or milestone. Trashed tasks are cleaned too, so a restore never brings back a stranger.
    Tasks are locked in id order, like bulk, so two such writers cannot deadlock each other.
    Returns how many tasks changed.
    """
    tasks = await repo.lock_referencing(
        db, project_id, user_id=user_id, label_id=label_id, milestone_id=milestone_id
    )
    if not tasks:
        return 0
    key = await repo.project_key(db, project_id)
    ts = now()
    for task in tasks:
        before = state_of(task)
        if user_id is not None:
            task.assignee_ids = [x for x in task.assignee_ids or [] if x != user_id]
            task.watcher_ids = [x for x in task.watcher_ids or [] if x != user_id]
        if label_id is not None:
            task.label_ids = [x for x in task.label_ids or [] if x != label_id]
        if milestone_id is not None and task.milestone_id == milestone_id:
            task.milestone_id = None
        changed = activity.diff(before, state_of(task))
        if not changed:
            continue
        task.version += 1
        task.updated_at = ts
        activity.record(
            db,
            project_id=project_id,
            task_id=task.id,
            actor_id=actor_id,
            action="task.updated",
            changes=changed,
        )
        for event in ev.task_change_events(task, key, changed, before):
            await ev.emit(db, event, actor_id)
    await db.flush()
    return len(tasks)


async def move_status(
    db: AsyncSession,
    actor_id: uuid.UUID,
    project_id: uuid.UUID,
    source: ProjectStatus,
    target: ProjectStatus,
) -> int:
    """Move every task of `source` (live and trashed) to `target`, as a PATCH would each.

    Used when a status is removed: each task gets a version bump, an activity row and its
    `task.*` events (a move into `done` completes it), and the project counters follow. WIP
    limits and open blockers do not refuse it: the admin removing a status chose where its
    tasks go (a task freed of its last open blocker is still announced). Tasks are
    locked in id order, like bulk. Returns how many moved.
    """
    tasks = await repo.lock_in_status(db, source.id)
    if not tasks:
        return 0
    key = await repo.project_key(db, project_id)
    ts = now()
    before_counts, after_counts = (0, 0), (0, 0)
    for task in tasks:
        before = state_of(task)
        live = task.deleted_at is None
        b = counted(task.status_category, not live)
        closing = live and _closes(task.status_category, target.category)
        apply_status(task, target, ts)
        a = counted(task.status_category, not live)
        before_counts = (before_counts[0] + b[0], before_counts[1] + b[1])
        after_counts = (after_counts[0] + a[0], after_counts[1] + a[1])
        task.version += 1
        task.updated_at = ts
        changed = activity.diff(before, state_of(task))
        activity.record(
            db,
            project_id=project_id,
            task_id=task.id,
            actor_id=actor_id,
            action="task.updated",
            changes=changed,
        )
        for event in ev.task_change_events(task, key, changed, before):
            await ev.emit(db, event, actor_id)
        if closing:
            await dependencies.after_close(db, actor_id, task)
    await adjust_counts(db, project_id, before_counts, after_counts)
    await db.flush()
    return len(tasks)


async def update(
    db: AsyncSession,
    access: ProjectAccess,
    task_id: uuid.UUID,
    changes: TaskUpdate,
    expected: int | None,
    *,
    override_wip: bool = False,
) -> TaskRead:
    """Change some fields of a task; 412 when `expected` is not the current version."""
    access.require_writable()
    task = await _locked(db, task_id)
    check_version(task, expected)
    return await apply_changes(
        db, access, task, changes.model_dump(exclude_unset=True), override_wip=override_wip
    )


async def delete(
    db: AsyncSession, access: ProjectAccess, task_id: uuid.UUID, expected: int | None
) -> TaskRead:
    """Move a task to the trash (restorable until purged)."""
    access.require_writable()
    task = await _locked(db, task_id)
    check_version(task, expected)
    await adjust_counts(db, task.project_id, counted(task.status_category, False), (0, 0))
    task.deleted_at = now()
    task.updated_at = task.deleted_at
    task.version += 1
    key = await repo.project_key(db, task.project_id)
    activity.record(
        db,
        project_id=task.project_id,
        task_id=task.id,
        actor_id=access.user_id,
        action="task.deleted",
        changes={"deleted_at": {"before": None, "after": task.deleted_at.isoformat()}},
    )
    await ev.emit(db, ev.task_deleted(task, key), access.user_id)
    return to_read(task, key)


async def restore(
    db: AsyncSession, access: ProjectAccess, task_id: uuid.UUID, expected: int | None = None
) -> TaskRead:
    """Bring a task back from the trash."""
    access.require_writable()
    task = await _locked(db, task_id, deleted=True)
    check_version(task, expected)
    before = task.deleted_at
    task.deleted_at = None
    task.updated_at = now()
    task.version += 1
    await adjust_counts(db, task.project_id, (0, 0), counted(task.status_category, False))
    key = await repo.project_key(db, task.project_id)
    activity.record(
        db,
        project_id=task.project_id,
        task_id=task.id,
        actor_id=access.user_id,
        action="task.restored",
        changes={"deleted_at": {"before": before.isoformat() if before else None, "after": None}},
    )
    await ev.emit(db, ev.task_restored(task, key), access.user_id)
    return to_read(task, key)


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
    after = page.after(length=3)
    if after is not None and after[0] != sort:
        raise Unprocessable(
            "The cursor belongs to another sort order.",
            code="invalid_cursor",
            errors=[
                {"loc": ["query", "cursor"], "msg": "Invalid cursor", "type": "invalid_cursor"}
            ],
        )
    scope: list[uuid.UUID] | None = None
    if filters.q and project_id is None:
        scope = await repo.my_project_id_list(db, me)
        if not scope:
            return Page[TaskRead](items=[], next_cursor=None)
    stmt = repo.list_statement(
        me=me,
        project_id=project_id,
        filters=filters,
        sort_name=sort,
        after=after,
        limit=page.limit,
        search_scope=scope,
        check_member=principal is not None,
    )
    # A project's plain list plans the same with any values (the project index, in sort
    # order), so it may use the generic plan and skip the extra round trip; see list_tasks.
    plain = project_id is not None and not filters.q and filters.assignee is None
    rows = await repo.list_tasks(db, stmt, custom_plan=not (plain and not filters.label))
    if not rows and principal is not None and project_id is not None:
        await project_access(db, principal, project_id, "viewer")
    items = rows[: page.limit]
    next_cursor = None
    if len(rows) > page.limit and items:
        last = items[-1]
        next_cursor = encode_cursor(sort, _cursor_value(last, sort, last.rank), last.id)
    return Page[TaskRead](items=[to_read(r, r.key, r.rank) for r in items], next_cursor=next_cursor)


async def trash(db: AsyncSession, access: ProjectAccess, page: PageParams) -> Page[TaskRead]:
    """The project's trash, most recently deleted first."""
    rows = await repo.trash(db, access.project_id, after=page.after(length=2), limit=page.limit)
    result = page.page(rows, lambda r: (r[0].deleted_at, r[0].id))
    return Page[TaskRead](
        items=[to_read(t, k) for t, k in result.items], next_cursor=result.next_cursor
    )
