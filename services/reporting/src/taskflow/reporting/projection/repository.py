"""SQL of the projection: order-safe upserts into the read models.

Every write is guarded so that applying events in any order, any number of times, leaves the
same rows: task facts move only to a higher version, a version row is written once,
membership and project flags move only to a later event time.

The f-strings only splice module constants (column lists, status lists) into the SQL; every
value is a bound parameter.
"""

# ruff: noqa: S608

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, delete, func, select, text
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.reporting.db import READ_MODELS, event_log, members, milestones, projects
from taskflow.reporting.projection.models import (
    MembershipChange,
    MilestoneChange,
    ProjectChange,
    TaskState,
)

_LOG_EVENT = text(
    """
    WITH lk AS (
      SELECT CASE WHEN CAST(:lock AS text) IS NULL THEN NULL
                  ELSE pg_advisory_xact_lock(hashtextextended(CAST(:lock AS text), 0)) END
    )
    INSERT INTO reporting.event_log (event_id, type, project_id, occurred_at, envelope)
    SELECT CAST(:id AS uuid), CAST(:type AS varchar), CAST(:project AS uuid),
           CAST(:at AS timestamptz), CAST(:envelope AS jsonb)
    FROM lk
    ON CONFLICT (event_id) DO NOTHING
    RETURNING seq
    """
).bindparams(bindparam("envelope", type_=JSONB))


def task_lock_key(task_id: UUID) -> str:
    """The advisory lock that serialises the events of one task (see `apply_task`)."""
    return f"reporting.task:{task_id}"


async def log_event(
    session: AsyncSession,
    *,
    event_id: UUID,
    event_type: str,
    project_id: UUID | None,
    occurred_at: datetime,
    envelope: dict[str, Any],
    lock: str | None = None,
) -> bool:
    """Append the event to the log; False when it is already there (a duplicate).

    `lock` names a transaction-scoped advisory lock taken in the same round trip, before the
    row is written (a task event takes its task's lock here, see `apply_task`).
    """
    result = await session.execute(
        _LOG_EVENT,
        {
            "lock": lock,
            "id": event_id,
            "type": event_type,
            "project": project_id,
            "at": occurred_at,
            "envelope": envelope,
        },
    )
    return result.scalar_one_or_none() is not None


async def lock_task(session: AsyncSession, task_id: UUID) -> None:
    """Take the task's advisory lock alone (rebuild, which does not write the log)."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": task_lock_key(task_id)}
    )


#: Columns of task_facts that follow the latest version (the event's, if it is newer).
_LATEST = (
    ("project_id", "uuid"),
    ("version", "int"),
    ("status", "varchar"),
    ("category", "varchar"),
    ("priority", "varchar"),
    ("created_at", "timestamptz"),
    ("reported_completed_at", "timestamptz"),
    ("due_at", "timestamptz"),
    ("deleted", "boolean"),
    ("milestone_id", "uuid"),
    ("assignee_ids", "uuid[]"),
)
#: Columns derived from the whole history, rewritten by every event of the task.
_DERIVED = ("started_at", "completed_at", "times_reopened", "completed_by")

#: Status categories (every rule reads the category, never a project's status name).
_CLOSED = "('done', 'cancelled')"
_OPEN = "('backlog', 'todo', 'in_progress')"

# One statement applies a task event (the advisory lock was taken by the statement before,
# so `cur` and `pts` see every version committed by other transactions). Sub-statements of
# a WITH share one snapshot and cannot see each other's writes, so the history is derived
# from the stored versions *plus* the row this statement inserts (`newv`), and the facts are
# written once, by the upsert, with the latest-state columns guarded by version and the
# derived ones always. The derivation is the SQL twin of history.derive (tested against it).
_APPLY_TASK = text(
    f"""
    WITH cur AS (
      SELECT version, reported_completed_at, project_id
      FROM reporting.task_facts WHERE task_id = :t
    ),
    mv AS (
      SELECT NOT EXISTS (SELECT 1 FROM cur WHERE cur.version >= CAST(:version AS int)) AS moved
    ),
    newv AS (
      INSERT INTO reporting.task_versions
        (task_id, version, project_id, status, category, deleted, due_at, milestone_id, at,
         assignee_ids)
      -- An older version arriving after a move belongs where the task is now (see carried).
      SELECT :t, :version,
             CASE WHEN mv.moved THEN CAST(:project_id AS uuid)
                  ELSE (SELECT project_id FROM cur) END,
             :status, :category, :deleted, :due_at, :milestone_id,
             CAST(:at AS timestamptz), :assignee_ids
      FROM mv
      ON CONFLICT (task_id, version) DO NOTHING
      RETURNING version, category, at, assignee_ids
    ),
    pts AS (
      SELECT version, category, at, assignee_ids FROM reporting.task_versions WHERE task_id = :t
      UNION ALL
      SELECT version, category, at, assignee_ids FROM newv
    ),
    seq AS (
      SELECT version, category, at, assignee_ids,
             lag(category) OVER (ORDER BY version) AS prev
      FROM pts
    ),
    d AS (
      SELECT (array_agg(at ORDER BY version) FILTER (WHERE category = 'in_progress'))[1]
               AS started_at,
             count(*) FILTER (WHERE prev IN {_CLOSED} AND category IN {_OPEN})::int AS reopened,
             (array_agg(category ORDER BY version DESC))[1] = 'done' AS is_done
      FROM seq
    ),
    run AS (
      SELECT at, assignee_ids FROM seq
      WHERE category = 'done' AND prev IS DISTINCT FROM 'done'
      ORDER BY version DESC LIMIT 1
    ),
    facts AS (
      INSERT INTO reporting.task_facts
        (task_id, {", ".join(c for c, _ in _LATEST)}, {", ".join(_DERIVED)})
      SELECT CAST(:t AS uuid), {", ".join(f"CAST(:{c} AS {ty})" for c, ty in _LATEST)},
             d.started_at,
             CASE WHEN d.is_done THEN coalesce(
               CASE WHEN mv.moved THEN CAST(:reported_completed_at AS timestamptz)
                    ELSE (SELECT reported_completed_at FROM cur) END,
               run.at) END,
             d.reopened,
             CASE WHEN d.is_done THEN coalesce(run.assignee_ids, '{{}}') ELSE '{{}}' END
      FROM d CROSS JOIN mv LEFT JOIN run ON true
      ON CONFLICT (task_id) DO UPDATE SET
        {
        ", ".join(
            f"{c} = CASE WHEN task_facts.version < EXCLUDED.version "
            f"THEN EXCLUDED.{c} ELSE task_facts.{c} END"
            for c, _ in _LATEST
        )
    },
        {", ".join(f"{c} = EXCLUDED.{c}" for c in _DERIVED)}
    ),
    gone AS (
      DELETE FROM reporting.task_assignees a USING mv
      WHERE mv.moved AND a.task_id = :t AND NOT (a.user_id = ANY(CAST(:assignee_ids AS uuid[])))
    ),
    came AS (
      INSERT INTO reporting.task_assignees (task_id, user_id, project_id)
      SELECT DISTINCT CAST(:t AS uuid), u, CAST(:project_id AS uuid)
      FROM unnest(CAST(:assignee_ids AS uuid[])) AS u, mv
      WHERE mv.moved
      ON CONFLICT (task_id, user_id) DO UPDATE SET project_id = EXCLUDED.project_id
    ),
    carried AS (
      -- A task moved to another project (`task.moved`) takes its history along, so that
      -- per-project history queries (cumulative flow, burndown) agree with the current facts.
      UPDATE reporting.task_versions v SET project_id = CAST(:project_id AS uuid) FROM mv
      WHERE mv.moved AND v.task_id = :t AND v.project_id <> CAST(:project_id AS uuid)
    )
    SELECT moved FROM mv
    """
)


async def apply_task(session: AsyncSession, state: TaskState, at: datetime) -> bool:
    """Record the task's state at its version, move its facts forward if it is newer, and
    re-derive its history: one statement (True when the facts moved to this version).

    The caller holds the task's advisory lock (`log_event(lock=...)` or `lock_task`), so
    the history read here includes every version committed before it.
    """
    result = await session.execute(
        _APPLY_TASK,
        {
            "t": state.task_id,
            "version": state.version,
            "project_id": state.project_id,
            "status": state.status,
            "category": state.category,
            "priority": state.priority,
            "created_at": state.created_at,
            "reported_completed_at": state.completed_at,
            "due_at": state.due_at,
            "deleted": state.deleted,
            "milestone_id": state.milestone_id,
            "assignee_ids": list(dict.fromkeys(state.assignee_ids)),
            "at": at,
        },
    )
    return bool(result.scalar_one())


async def rename_status(session: AsyncSession, project_id: UUID, before: str, after: str) -> None:
    """A project renamed a status: its tasks' current and past versions take the new name
    (names are unique within a project, so the old name names exactly that status)."""
    for table in ("task_facts", "task_versions"):
        await session.execute(
            text(
                f"UPDATE reporting.{table} SET status = :after"
                " WHERE project_id = :p AND status = :before"
            ),
            {"p": project_id, "before": before, "after": after},
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
    """Mark the project deleted, archived or restored unless a later change is already applied.

    One event-time guard covers both flags: restore clears both, so the latest lifecycle event
    decides the project's state.
    """
    flags = {
        k: v
        for k, v in (("deleted", change.deleted), ("archived", change.archived))
        if v is not None
    }
    ins = insert(projects).values(project_id=change.project_id, state_at=change.at, **flags)
    set_: dict[str, Any] = {k: ins.excluded[k] for k in flags}
    set_["state_at"] = ins.excluded.state_at
    await session.execute(
        ins.on_conflict_do_update(
            index_elements=["project_id"],
            set_=set_,
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


async def lift_statement_timeout(session: AsyncSession) -> None:
    """No statement timeout for the rest of the transaction (a rebuild takes minutes)."""
    await session.execute(text("SET LOCAL statement_timeout = 0"))


async def lock_event_log(session: AsyncSession) -> None:
    """Hold the log still until the commit: the worker's next insert waits, readers do not."""
    await session.execute(text("LOCK TABLE event_log IN SHARE MODE"))


async def empty_read_models(session: AsyncSession) -> None:
    """Delete every read model's rows (DELETE, not TRUNCATE: readers are not blocked and see
    the old figures until the commit)."""
    for table in READ_MODELS:
        await session.execute(delete(table))


async def event_log_page(session: AsyncSession, after: int, limit: int) -> list[tuple[int, Any]]:
    """Up to `limit` entries of the event log after `seq` `after`, as `(seq, envelope)`, in
    arrival order."""
    rows = await session.execute(
        select(event_log.c.seq, event_log.c.envelope)
        .where(event_log.c.seq > after)
        .order_by(event_log.c.seq)
        .limit(limit)
    )
    return [(seq, raw) for seq, raw in rows.all()]
