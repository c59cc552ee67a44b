"""Moving a task, with its subtasks, comments and activity, to another project.

The task keeps its id (links, dependencies, notifications and reports stay attached) and gets
a new number in the target; its old key-number is remembered in `task_key_redirects` and
answers with a redirect. Project-scoped fields are mapped: labels and the milestone by name
(case-insensitive) or dropped, assignees and watchers who are not members of the target
removed, the status to the one named or else the target's first status of the same
category. Everything happens in the request's transaction: task rows are locked first (in id
order, like bulk), then both project rows (in id order, so two moves in opposite directions
cannot deadlock), as every other task write locks task before project.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.concurrency import check_version
from taskflow.common.errors import NotFound, Unprocessable
from taskflow.common.security import Principal
from taskflow.events.contracts.tasks import TaskMoved, TaskUnassigned
from taskflow.tasks import domain_events as ev
from taskflow.tasks.activity import service as activity
from taskflow.tasks.dependencies import service as dependencies
from taskflow.tasks.labels import repository as labels_repo
from taskflow.tasks.milestones import repository as milestones_repo
from taskflow.tasks.projects import repository as projects_repo
from taskflow.tasks.projects.auth import ProjectAccess, not_found, project_access
from taskflow.tasks.tasks import repository as repo
from taskflow.tasks.tasks.models import Task
from taskflow.tasks.tasks.rules import _closes, adjust_counts, counted, state_of
from taskflow.tasks.tasks.schemas import (
    DroppedLabel,
    DroppedMilestone,
    MovedTask,
    TaskMove,
    TaskMoveResult,
    to_read,
)
from taskflow.tasks.workflows import repository as workflows_repo
from taskflow.tasks.workflows import service as workflows
from taskflow.tasks.workflows.errors import WipLimitReached
from taskflow.tasks.workflows.models import ProjectStatus


def _body_error(field: str, msg: str, kind: str) -> dict[str, Any]:
    return {"loc": ["body", field], "msg": msg, "type": kind}


async def target_access(
    db: AsyncSession, principal: Principal, project_id: uuid.UUID
) -> ProjectAccess:
    """The caller's write access to the target: 422 when it is not a project the caller is
    in (the same answer for one that does not exist), 403 below member, 409 archived."""
    try:
        access = await project_access(db, principal, project_id, "viewer")
    except NotFound:
        raise Unprocessable(
            "No such project.",
            code="unknown_project",
            errors=[_body_error("project_id", "no such project", "unknown_project")],
        ) from None
    access.require("member")
    access.require_writable()
    return access


def _by_category(statuses: list[ProjectStatus], category: str) -> ProjectStatus | None:
    return next((s for s in statuses if s.category == category), None)


async def _check_wip(
    db: AsyncSession, target: ProjectAccess, entering: Counter[uuid.UUID], override: bool
) -> None:
    """409 when the live tasks entering a status would take it over its WIP limit."""
    for status_id, n in sorted(entering.items()):
        status = await workflows_repo.get(db, target.project_id, status_id, lock=True)
        if status is None:  # resolved from the target's workflow just before
            raise not_found("status")
        # The common rule (the admin override, the row lock) first, for the first task ...
        await workflows.check_wip(db, target, status, task_id=None, override=override)
        if override or status.wip_limit is None:
            continue
        # ... then room for all of them.
        count = await workflows_repo.live_count(db, status_id)
        if count + n > status.wip_limit:
            raise WipLimitReached(
                f"The status {status.name!r} holds {count} tasks, its WIP limit is "
                f"{status.wip_limit}; {n} would enter.",
                status_id=str(status.id),
                status_name=status.name,
                wip_limit=status.wip_limit,
                task_count=count,
            )


async def move(
    db: AsyncSession,
    source: ProjectAccess,
    task_id: uuid.UUID,
    body: TaskMove,
    expected: int | None,
    *,
    override_wip: bool = False,
) -> TaskMoveResult:
    """Move a task and its subtasks to `body.project_id`; 412 on a stale version."""
    source.require_writable()
    if body.project_id == source.project_id:
        raise Unprocessable(
            "The task is already in this project.",
            code="same_project",
            errors=[_body_error("project_id", "the task's own project", "same_project")],
        )
    target = await target_access(db, source.principal, body.project_id)
    named: ProjectStatus | None = None
    if body.status_id is not None or body.status is not None:
        named = await workflows.resolve(
            db, target.project_id, status_id=body.status_id, name=body.status
        )
    ids = await repo.subtree_ids(db, task_id)
    locked = await repo.lock_tasks(db, ids)
    root = locked.get(task_id)
    if root is None or root.deleted_at is not None or root.project_id != source.project_id:
        raise not_found("task")
    check_version(root, expected)
    # A child that moved elsewhere meanwhile (between the tree read and the locks) stays.
    family = [locked[i] for i in ids if i in locked and locked[i].project_id == source.project_id]
    for pid in sorted((source.project_id, target.project_id)):
        if await projects_repo.get_for_update(db, pid) is None:
            raise not_found()

    statuses = await workflows_repo.statuses(db, target.project_id)
    fallback = await workflows.resolve(db, target.project_id)
    new_status: dict[uuid.UUID, ProjectStatus] = {}
    for task in family:
        chosen = named if (task is root and named is not None) else None
        new_status[task.id] = chosen or _by_category(statuses, task.status_category) or fallback
    await _check_wip(
        db,
        target,
        Counter(new_status[t.id].id for t in family if t.deleted_at is None),
        override_wip,
    )
    if new_status[root.id].category == "done" and root.status_category != "done":
        # Completed by the move: the target's rule about open blockers applies.
        await dependencies.check_completion(db, _as_in(root, target.project_id))

    all_labels = sorted({x for t in family for x in t.label_ids or []})
    label_names = await labels_repo.label_names(db, all_labels)
    target_labels = await labels_repo.labels_by_name(db, target.project_id)
    milestones = sorted({t.milestone_id for t in family if t.milestone_id is not None})
    milestone_titles = await milestones_repo.milestone_titles(db, milestones)
    target_milestones = await milestones_repo.milestones_by_title(db, target.project_id)
    people = sorted({u for t in family for u in [*(t.assignee_ids or []), *(t.watcher_ids or [])]})
    members = await projects_repo.member_ids(db, target.project_id, people) if people else set()
    source_key = await repo.project_key(db, source.project_id)
    moving = {t.id for t in family}

    ts = datetime.now(UTC)
    released = (0, 0)
    results: list[MovedTask] = []
    emitted: list[tuple[Task, dict[str, Any], MovedTask, list[uuid.UUID], bool]] = []
    for task in family:
        before = state_of(task)
        live = task.deleted_at is None
        b = counted(task.status_category, not live)
        released = (released[0] + b[0], released[1] + b[1])
        from_key = f"{source_key}-{task.number}"
        kept_labels, dropped_labels = [], []
        for label_id in task.label_ids or []:
            name = label_names.get(label_id)
            mapped = target_labels.get(name.lower()) if name else None
            if mapped is not None:
                kept_labels.append(mapped)
            else:
                dropped_labels.append(DroppedLabel(id=label_id, name=name or ""))
        dropped_milestone: DroppedMilestone | None = None
        milestone_id = None
        if task.milestone_id is not None:
            title = milestone_titles.get(task.milestone_id)
            milestone_id = target_milestones.get(title.lower()) if title else None
            if milestone_id is None:
                dropped_milestone = DroppedMilestone(id=task.milestone_id, title=title or "")
        removed_assignees = [u for u in task.assignee_ids or [] if u not in members]
        removed_watchers = [u for u in task.watcher_ids or [] if u not in members]
        detached = task.parent_id is not None and task.parent_id not in moving
        status = new_status[task.id]
        closing = live and _closes(task.status_category, status.category)
        if status.category == "done" and task.status_category != "done":
            task.completed_at = ts
        elif status.category != "done":
            task.completed_at = None
        a = counted(status.category, not live)
        number, target_key = await projects_repo.bump_counter(
            db, target.project_id, total=a[0], done=a[1]
        )
        repo.add_redirect(db, source.project_id, task.number, task.id)
        task.project_id = target.project_id
        task.number = number
        task.status_id, task.status, task.status_category = status.id, status.name, status.category
        task.label_ids = list(dict.fromkeys(kept_labels))
        task.milestone_id = milestone_id
        task.assignee_ids = [u for u in task.assignee_ids or [] if u in members]
        task.watcher_ids = [u for u in task.watcher_ids or [] if u in members]
        if detached:
            task.parent_id = None
        task.position = float(number)
        task.version += 1
        task.updated_at = ts
        moved = MovedTask(
            task_id=task.id,
            from_key=from_key,
            to_key=f"{target_key}-{number}",
            status=status.name,
            dropped_labels=dropped_labels,
            dropped_milestone=dropped_milestone,
            removed_assignee_ids=removed_assignees,
            removed_watcher_ids=removed_watchers,
            detached_from_parent=detached,
        )
        results.append(moved)
        emitted.append((task, before, moved, removed_assignees, closing))
    await adjust_counts(db, source.project_id, released, (0, 0))
    await db.flush()
    await repo.carry_along(db, [t.id for t in family], target.project_id)

    target_key = await repo.project_key(db, target.project_id)
    for task, before, moved, removed, closing in emitted:
        changes = activity.diff(before, state_of(task))
        changes["project_id"] = {"before": str(source.project_id), "after": str(task.project_id)}
        changes["key"] = {"before": moved.from_key, "after": moved.to_key}
        activity.record(
            db,
            project_id=task.project_id,
            task_id=task.id,
            actor_id=source.user_id,
            action="task.moved",
            changes=changes,
        )
        snap = ev.snapshot(task, target_key)
        await ev.emit(
            db,
            TaskMoved(
                task=snap,
                from_project_id=source.project_id,
                to_project_id=task.project_id,
                from_key=moved.from_key,
                dropped_label_ids=[d.id for d in moved.dropped_labels],
                dropped_milestone_id=moved.dropped_milestone.id
                if moved.dropped_milestone
                else None,
                removed_assignee_ids=moved.removed_assignee_ids,
                removed_watcher_ids=moved.removed_watcher_ids,
            ),
            source.user_id,
        )
        # Removed assignees hear it like any unassignment (they can no longer see the task).
        for user_id in removed:
            await ev.emit(db, TaskUnassigned(task=snap, assignee_id=user_id), source.user_id)
        if closing:
            await dependencies.after_close(db, source.user_id, task)
    return TaskMoveResult(
        task=to_read(root, target_key, blocked=await dependencies.is_blocked(db, root.id)),
        moved=results,
    )


def _as_in(task: Task, project_id: uuid.UUID) -> Task:
    """A transient stand-in of `task` in `project_id` (never added to the session), so that
    `check_completion` reads the target's setting before the task row itself moves."""
    return Task(id=task.id, project_id=project_id)
