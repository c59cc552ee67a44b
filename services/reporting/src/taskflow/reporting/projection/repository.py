"""SQL of the projection: order-safe upserts into the read models.

Every write is guarded so that applying events in any order, any number of times, leaves the
same rows: task facts move only to a higher version, a version row is written once,
membership and project flags move only to a later event time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.reporting.db import (
    event_log,
    members,
    milestones,
    projects,
    task_assignees,
    task_facts,
    task_versions,
)
from taskflow.reporting.projection.history import VersionPoint, derive
from taskflow.reporting.projection.models import (
    MembershipChange,
    MilestoneChange,
    ProjectChange,
    TaskState,
)


async def log_event(
    session: AsyncSession,
    *,
    event_id: UUID,
    event_type: str,
    project_id: UUID | None,
    occurred_at: datetime,
    envelope: dict[str, Any],
) -> bool:
    """Append the event to the log; False when it is already there (a duplicate)."""
    stmt = (
        insert(event_log)
        .values(
            event_id=event_id,
            type=event_type,
            project_id=project_id,
            occurred_at=occurred_at,
            envelope=envelope,
        )
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(event_log.c.seq)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def apply_task(session: AsyncSession, state: TaskState, at: datetime) -> None:
    """Record the task's state at its version and move its facts forward if it is newer.

    A transaction-scoped advisory lock on the task serialises concurrent events of one task,
    so the history recomputation below always sees every version committed before it.
    """
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
        {"k": f"reporting.task:{state.task_id}"},
    )
    await session.execute(
        insert(task_versions)
        .values(
            task_id=state.task_id,
            version=state.version,
            project_id=state.project_id,
            status=state.status,
            deleted=state.deleted,
            due_at=state.due_at,
            milestone_id=state.milestone_id,
            at=at,
        )
        .on_conflict_do_nothing(index_elements=["task_id", "version"])
    )
    values = {
        "project_id": state.project_id,
        "version": state.version,
        "status": state.status,
        "priority": state.priority,
        "created_at": state.created_at,
        "reported_completed_at": state.completed_at,
        "due_at": state.due_at,
        "deleted": state.deleted,
        "milestone_id": state.milestone_id,
        "assignee_ids": list(state.assignee_ids),
    }
    ins = insert(task_facts).values(task_id=state.task_id, **values)
    upsert = ins.on_conflict_do_update(
        index_elements=["task_id"],
        set_={k: ins.excluded[k] for k in values},
        where=task_facts.c.version < ins.excluded.version,
    ).returning(task_facts.c.version)
    moved = (await session.execute(upsert)).scalar_one_or_none() is not None
    if moved:
        await _replace_assignees(session, state)
        # A task moved to another project takes its history along, so that per-project
        # history queries (cumulative flow, burndown) agree with the current facts.
        await session.execute(
            update(task_versions)
            .where(task_versions.c.task_id == state.task_id)
            .where(task_versions.c.project_id != state.project_id)
            .values(project_id=state.project_id)
        )
    await _recompute_history(session, state.task_id)


async def _replace_assignees(session: AsyncSession, state: TaskState) -> None:
    await session.execute(delete(task_assignees).where(task_assignees.c.task_id == state.task_id))
    if state.assignee_ids:
        await session.execute(
            insert(task_assignees)
            .values(
                [
                    {"task_id": state.task_id, "user_id": uid, "project_id": state.project_id}
                    for uid in dict.fromkeys(state.assignee_ids)
                ]
            )
            .on_conflict_do_nothing()
        )


async def _recompute_history(session: AsyncSession, task_id: UUID) -> None:
    """Derive started/completed/reopened from every version known so far (see history.py)."""
    rows = (
        await session.execute(
            select(task_versions.c.version, task_versions.c.status, task_versions.c.at).where(
                task_versions.c.task_id == task_id
            )
        )
    ).all()
    reported = (
        await session.execute(
            select(task_facts.c.reported_completed_at).where(task_facts.c.task_id == task_id)
        )
    ).scalar_one_or_none()
    derived = derive(
        (VersionPoint(r.version, r.status, r.at) for r in rows), reported_completed_at=reported
    )
    await session.execute(
        update(task_facts)
        .where(task_facts.c.task_id == task_id)
        .values(
            started_at=derived.started_at,
            completed_at=derived.completed_at,
            times_reopened=derived.times_reopened,
        )
    )


async def apply_membership(session: AsyncSession, change: MembershipChange) -> None:
    """Add, re-role or remove a member unless a later change is already applied."""
    active = change.role is not None
    ins = insert(members).values(
        project_id=change.project_id,
        user_id=change.user_id,
        role=change.role or "member",
        active=active,
        changed_at=change.at,
    )
    set_: dict[str, Any] = {"active": ins.excluded.active, "changed_at": ins.excluded.changed_at}
    if active:
        set_["role"] = ins.excluded.role
    await session.execute(
        ins.on_conflict_do_update(
            index_elements=["project_id", "user_id"],
            set_=set_,
            where=members.c.changed_at <= ins.excluded.changed_at,
        )
    )
    await ensure_project(session, change.project_id)


async def ensure_project(session: AsyncSession, project_id: UUID) -> None:
    """Make sure the project has a row (a member event may arrive before project.created)."""
    await session.execute(insert(projects).values(project_id=project_id).on_conflict_do_nothing())


async def apply_project(session: AsyncSession, change: ProjectChange) -> None:
    """Mark the project deleted or restored unless a later change is already applied."""
    ins = insert(projects).values(
        project_id=change.project_id, deleted=change.deleted, state_at=change.at
    )
    await session.execute(
        ins.on_conflict_do_update(
            index_elements=["project_id"],
            set_={"deleted": ins.excluded.deleted, "state_at": ins.excluded.state_at},
            where=func.coalesce(projects.c.state_at, change.at) <= ins.excluded.state_at,
        )
    )


async def apply_milestone(session: AsyncSession, change: MilestoneChange) -> None:
    """Keep title and due date of a milestone; an update applies only over an older version.

    The creation (version 0) fills the row if no update got there first, and always records
    when the milestone was created.
    """
    fields = {k: v for k, v in change.fields.items() if k in ("title", "due_date")}
    ins = insert(milestones).values(
        milestone_id=change.milestone_id,
        project_id=change.project_id,
        version=change.version,
        created_at=change.at if change.version == 0 else None,
        **fields,
    )
    if change.version == 0:
        set_: dict[str, Any] = {"created_at": ins.excluded.created_at}
        await session.execute(ins.on_conflict_do_update(index_elements=["milestone_id"], set_=set_))
        return
    set_ = {k: ins.excluded[k] for k in fields}
    set_["version"] = ins.excluded.version
    await session.execute(
        ins.on_conflict_do_update(
            index_elements=["milestone_id"],
            set_=set_,
            where=milestones.c.version < ins.excluded.version,
        )
    )
