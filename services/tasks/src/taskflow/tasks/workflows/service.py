"""Rules of workflows: the default workflow, resolving a task's status, WIP limits, and the
admin's changes (add, rename/recolour, reorder, remove with a move of its tasks).

Every change locks the project row first, so two admins editing one workflow take turns, and
emits `project.workflow_changed` with the whole workflow after the change (audit keeps it).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.clock import utcnow as now
from taskflow.common.concurrency import check_version
from taskflow.common.errors import Forbidden, Unprocessable
from taskflow.events.contracts.projects import ProjectWorkflowChanged, WorkflowStatus
from taskflow.events.ids import uuid7
from taskflow.tasks import domain_events as ev
from taskflow.tasks.activity import service as activity
from taskflow.tasks.projects import repository as projects_repo
from taskflow.tasks.projects.auth import ProjectAccess, not_found
from taskflow.tasks.workflows import repository as repo
from taskflow.tasks.workflows.errors import DuplicateStatus, WipLimitReached, WorkflowNeedsStatus
from taskflow.tasks.workflows.models import DEFAULT_WORKFLOW, ProjectStatus
from taskflow.tasks.workflows.schemas import (
    StatusCreate,
    StatusOrder,
    StatusRead,
    StatusUpdate,
    WorkflowRead,
    to_read,
)

MAX_STATUSES = 50


def create_default(db: AsyncSession, project_id: uuid.UUID, ts: datetime) -> list[ProjectStatus]:
    """Give a new project the default workflow (the five statuses of the fixed workflow)."""
    rows = [
        ProjectStatus(
            id=uuid7(),
            project_id=project_id,
            name=name,
            category=category,
            colour=colour,
            position=i,
            wip_limit=None,
            version=1,
            created_at=ts,
            updated_at=ts,
        )
        for i, (name, category, colour) in enumerate(DEFAULT_WORKFLOW)
    ]
    db.add_all(rows)
    return rows


async def resolve(
    db: AsyncSession,
    project_id: uuid.UUID,
    *,
    status_id: uuid.UUID | None = None,
    name: str | None = None,
    loc: str = "body",
) -> ProjectStatus:
    """The project's status named by id or by name; 422 naming the field when it is not one."""
    if status_id is not None:
        found = await repo.get(db, project_id, status_id)
        if found is None:
            raise Unprocessable(
                "This status is not in the project's workflow.",
                errors=[_err(loc, "status_id", "not a status of this project", "unknown_status")],
            )
        if name is not None and found.name.lower() != name.lower():
            raise Unprocessable(
                "status and status_id name different statuses.",
                errors=[_err(loc, "status", "does not match status_id", "status_mismatch")],
            )
        return found
    if name is not None:
        found = await repo.by_name(db, project_id, name)
        if found is None:
            raise Unprocessable(
                "This status is not in the project's workflow.",
                errors=[_err(loc, "status", "not a status of this project", "unknown_status")],
            )
        return found
    found = await repo.first_open(db, project_id)
    if found is None:  # a workflow always keeps an open status; this is a broken row set
        raise Unprocessable(
            "The project's workflow has no open status.",
            errors=[_err(loc, "status", "no open status", "unknown_status")],
        )
    return found


async def check_wip(
    db: AsyncSession,
    access: ProjectAccess,
    status: ProjectStatus,
    *,
    task_id: uuid.UUID | None,
    override: bool,
) -> None:
    """409 naming the limit when `status` is full, unless a project admin overrides it.

    The status row is locked first, so two moves into the last free place take turns and the
    second one sees the first one's task.
    """
    if override and not access.at_least("admin"):
        raise Forbidden(
            "Only a project admin or owner may exceed a WIP limit.", code="role_required"
        )
    if status.wip_limit is None or override:
        return
    await repo.get(db, status.project_id, status.id, lock=True)
    count = await repo.live_count(db, status.id, but=task_id)
    if count >= status.wip_limit:
        raise WipLimitReached(
            f"The status {status.name!r} holds {count} tasks, its WIP limit is {status.wip_limit}.",
            status_id=str(status.id),
            status_name=status.name,
            wip_limit=status.wip_limit,
            task_count=count,
        )


def _err(loc: str, field: str, msg: str, kind: str) -> dict[str, Any]:
    return {"loc": [loc, field], "msg": msg, "type": kind}


async def workflow(db: AsyncSession, project_id: uuid.UUID) -> WorkflowRead:
    """The project's statuses in board order, with their live task counts."""
    counts = await repo.live_counts(db, project_id)
    return WorkflowRead(
        items=[to_read(s, counts.get(s.id, 0)) for s in await repo.statuses(db, project_id)]
    )


async def _lock_project(db: AsyncSession, access: ProjectAccess) -> None:
    access.require_writable()
    if await projects_repo.get_for_update(db, access.project_id) is None:
        raise not_found()


def _renumber(rows: list[ProjectStatus]) -> None:
    for i, row in enumerate(rows):
        row.position = i


async def _emit(
    db: AsyncSession,
    access: ProjectAccess,
    change: str,
    rows: list[ProjectStatus],
    *,
    status_id: uuid.UUID | None = None,
    changes: dict[str, dict[str, Any]] | None = None,
    moved_to: uuid.UUID | None = None,
    moved: int = 0,
) -> None:
    await db.flush()
    activity.record(
        db,
        project_id=access.project_id,
        actor_id=access.user_id,
        action=f"project.workflow.{change}",
        changes=changes or {"status_id": {"before": None, "after": str(status_id)}},
    )
    event = ProjectWorkflowChanged(
        project_id=access.project_id,
        change=change,
        status_id=status_id,
        changes=ev.changes_of(changes or {}),
        moved_to=moved_to,
        moved_tasks=moved,
        statuses=[
            WorkflowStatus(
                status_id=r.id,
                name=r.name,
                colour=r.colour,
                category=r.category,
                position=r.position,
                wip_limit=r.wip_limit,
            )
            for r in rows
        ],
    )
    await ev.emit(db, event, access.user_id)


async def add(db: AsyncSession, access: ProjectAccess, data: StatusCreate) -> StatusRead:
    """Add a status (admin); 409 on a duplicate name or a full workflow."""
    await _lock_project(db, access)
    rows = await repo.statuses(db, access.project_id)
    if len(rows) >= MAX_STATUSES:
        raise WorkflowNeedsStatus(
            f"A workflow has at most {MAX_STATUSES} statuses.", code="workflow_full"
        )
    if await repo.name_taken(db, access.project_id, data.name):
        raise DuplicateStatus(f"The project has a status named {data.name!r}.")
    ts = now()
    row = ProjectStatus(
        id=uuid7(),
        project_id=access.project_id,
        name=data.name,
        colour=data.colour.lower(),
        category=data.category,
        position=len(rows),
        wip_limit=data.wip_limit,
        version=1,
        created_at=ts,
        updated_at=ts,
    )
    db.add(row)
    at = len(rows) if data.position is None else min(data.position, len(rows))
    rows.insert(at, row)
    _renumber(rows)
    await _emit(
        db,
        access,
        "status_added",
        rows,
        status_id=row.id,
        changes={
            "status": {
                "before": None,
                "after": {"name": row.name, "category": row.category, "colour": row.colour},
            }
        },
    )
    return to_read(row)


async def update(
    db: AsyncSession,
    access: ProjectAccess,
    status_id: uuid.UUID,
    data: StatusUpdate,
    expected: int | None,
) -> StatusRead:
    """Rename, recolour or change the WIP limit of a status (admin)."""
    await _lock_project(db, access)
    row = await repo.get(db, access.project_id, status_id, lock=True)
    if row is None:
        raise not_found("status")
    check_version(row, expected)
    fields = data.model_dump(exclude_unset=True)
    for name in ("name", "colour"):
        if name in fields and fields[name] is None:
            raise Unprocessable(
                f"{name} cannot be null.", errors=[_err("body", name, "may not be null", "null")]
            )
    if "colour" in fields:
        fields["colour"] = fields["colour"].lower()
    if "name" in fields and await repo.name_taken(
        db, access.project_id, fields["name"], but=row.id
    ):
        raise DuplicateStatus(f"The project has a status named {fields['name']!r}.")
    diff = {
        k: {"before": getattr(row, k), "after": v}
        for k, v in fields.items()
        if getattr(row, k) != v
    }
    count = await repo.live_count(db, row.id)
    if not diff:
        return to_read(row, count)
    for k, v in fields.items():
        setattr(row, k, v)
    row.version += 1
    row.updated_at = now()
    # A rename reaches every task through the foreign key's ON UPDATE CASCADE.
    await _emit(
        db,
        access,
        "status_updated",
        await repo.statuses(db, access.project_id),
        status_id=row.id,
        changes=diff,
    )
    return to_read(row, count)


async def reorder(db: AsyncSession, access: ProjectAccess, order: StatusOrder) -> WorkflowRead:
    """Put the statuses in the given order (admin); the ids must be exactly the project's."""
    await _lock_project(db, access)
    rows = await repo.statuses(db, access.project_id)
    by_id = {r.id: r for r in rows}
    if len(order.status_ids) != len(set(order.status_ids)) or set(order.status_ids) != set(by_id):
        raise Unprocessable(
            "Give every status of the project exactly once.",
            errors=[_err("body", "status_ids", "must list each status once", "not_a_permutation")],
        )
    before = [str(r.id) for r in rows]
    ordered = [by_id[i] for i in order.status_ids]
    _renumber(ordered)
    after = [str(r.id) for r in ordered]
    if before != after:
        ts = now()
        for r in ordered:
            r.updated_at = ts
        await _emit(
            db,
            access,
            "statuses_reordered",
            ordered,
            changes={"order": {"before": before, "after": after}},
        )
    return await workflow(db, access.project_id)


async def remove(
    db: AsyncSession,
    access: ProjectAccess,
    status_id: uuid.UUID,
    move_to: uuid.UUID,
    expected: int | None,
) -> int:
    """Remove a status (admin), moving its tasks (live and trashed) to `move_to` first.

    All in the request's one transaction: either the status is gone and every task moved
    (each with its activity row and `task.*` events), or nothing changed. The workflow keeps
    at least one open and one done status. Returns how many tasks moved.
    """
    from taskflow.tasks.tasks import service as tasks_service  # tasks imports workflows

    await _lock_project(db, access)
    row = await repo.get(db, access.project_id, status_id, lock=True)
    if row is None:
        raise not_found("status")
    check_version(row, expected)
    if move_to == status_id:
        raise Unprocessable(
            "Move the tasks to another status.",
            errors=[_err("query", "move_to", "is the status being removed", "same_status")],
        )
    target = await repo.get(db, access.project_id, move_to)
    if target is None:
        raise Unprocessable(
            "move_to is not a status of this project.",
            errors=[_err("query", "move_to", "not a status of this project", "unknown_status")],
        )
    rows = [r for r in await repo.statuses(db, access.project_id) if r.id != status_id]
    left = {r.category for r in rows}
    if "done" not in left or not left & {"backlog", "todo", "in_progress"}:
        raise WorkflowNeedsStatus("A workflow keeps at least one open status and one done status.")
    moved = await tasks_service.move_status(db, access.user_id, access.project_id, row, target)
    await db.delete(row)
    _renumber(rows)
    await _emit(
        db,
        access,
        "status_removed",
        rows,
        status_id=status_id,
        changes={"status": {"before": {"name": row.name, "category": row.category}, "after": None}},
        moved_to=target.id,
        moved=moved,
    )
    return moved
