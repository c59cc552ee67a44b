"""Events in, read models out: one function per event family, all order-safe and idempotent.

`apply_event` is what the worker's consumer calls inside its message transaction (the
consumer records the inbox row in the same transaction) and what `rebuild` replays. It first
appends the event to `event_log` (keyed by event id, so a redelivered duplicate is recognised
here too) and then applies it; every write below is guarded by version or event time, so the
order of arrival never changes the result.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.events.contracts.base import Event
from taskflow.events.contracts.milestones import MilestoneCreated, MilestoneUpdated
from taskflow.events.contracts.projects import (
    ProjectArchived,
    ProjectCreated,
    ProjectDeleted,
    ProjectMemberAdded,
    ProjectMemberRemoved,
    ProjectMemberRoleChanged,
    ProjectRestored,
    ProjectUpdated,
    ProjectWorkflowChanged,
)
from taskflow.events.contracts.tasks import TaskEvent, TaskSnapshot
from taskflow.events.envelope import Envelope
from taskflow.reporting.projection import repository
from taskflow.reporting.projection.models import (
    MembershipChange,
    MilestoneChange,
    ProjectChange,
    TaskState,
)

#: Routing-key patterns the worker's queue is bound to.
BINDINGS: tuple[str, ...] = ("project.#", "task.#", "milestone.#")


def task_state(snapshot: TaskSnapshot) -> TaskState:
    """What the projection keeps of a task snapshot."""
    return TaskState(
        task_id=snapshot.task_id,
        project_id=snapshot.project_id,
        version=snapshot.version,
        status=snapshot.status,
        category=snapshot.category,
        priority=snapshot.priority,
        created_at=snapshot.created_at,
        due_at=snapshot.due_at,
        completed_at=snapshot.completed_at,
        milestone_id=snapshot.milestone_id,
        assignee_ids=tuple(snapshot.assignee_ids),
        deleted=snapshot.deleted_at is not None,
    )


async def handle(session: AsyncSession, envelope: Envelope, event: Event) -> None:
    """The consumer's handler: log the event and apply it, in the message's transaction."""
    await apply_event(session, envelope, event)


async def apply_event(
    session: AsyncSession, envelope: Envelope, event: Event, *, log: bool = True
) -> bool:
    """Log and apply one event; False when it was already in the log (nothing done).

    `log=False` is for `rebuild`, which replays events that are already in the log. A task
    event's advisory lock is taken with the log insert (one round trip), so a task event costs
    two statements: that one and `repository.apply_task`.
    """
    lock = repository.task_lock_key(event.task.task_id) if isinstance(event, TaskEvent) else None
    if log:
        if not await repository.log_event(
            session,
            event_id=envelope.id,
            event_type=envelope.type,
            project_id=event.project_ref(),
            occurred_at=envelope.time,
            envelope=_loggable(envelope, event),
            lock=lock,
        ):
            return False
    elif isinstance(event, TaskEvent):
        await repository.lock_task(session, event.task.task_id)
    await project(session, event, envelope.time)
    return True


def _loggable(envelope: Envelope, event: Event) -> dict[str, Any]:
    """The envelope as kept in the log, one-time links redacted (`sensitive_fields`, e.g. the
    invitation mail's `invite_url`): no report needs them, and the log is kept for good."""
    doc = envelope.to_dict()
    if type(event).sensitive_fields:
        doc["data"] = event.redacted()
    return doc


async def project(session: AsyncSession, event: Event, at: datetime) -> None:
    """Apply one event to the read models (event types we do not use are ignored)."""
    match event:
        case TaskEvent():
            # The time of a version is when the event happened; the snapshot's updated_at is
            # the producer's clock for the same instant and would serve as well.
            await repository.apply_task(session, task_state(event.task), at)
        case ProjectMemberAdded():
            await repository.apply_membership(
                session, MembershipChange(event.project_id, event.user_id, event.role, at)
            )
        case ProjectMemberRoleChanged():
            await repository.apply_membership(
                session, MembershipChange(event.project_id, event.user_id, event.after, at)
            )
        case ProjectMemberRemoved():
            await repository.apply_membership(
                session, MembershipChange(event.project_id, event.user_id, None, at)
            )
        case ProjectCreated():
            await repository.ensure_project(session, event.project_id)
            # The owner's member_added follows; taking the owner from here too means reports
            # work even if that event is delayed, and the event-time guard keeps order.
            await repository.apply_membership(
                session, MembershipChange(event.project_id, event.owner_id, "owner", at)
            )
        case ProjectDeleted():
            await repository.apply_project(session, ProjectChange(event.project_id, at, True))
        case ProjectArchived():
            await repository.apply_project(
                session, ProjectChange(event.project_id, at, None, archived=True)
            )
        case ProjectRestored():
            await repository.apply_project(
                session, ProjectChange(event.project_id, at, False, archived=False)
            )
        case ProjectWorkflowChanged(change="status_updated", changes=changes) if "name" in changes:
            # A rename reaches every task at once in tasks (a cascaded foreign key, no task
            # events), so the read models rename too: one series per status in the reports.
            await repository.rename_status(
                session,
                event.project_id,
                str(changes["name"].before),
                str(changes["name"].after),
            )
        case ProjectUpdated():
            # Name, dates, status and health of a project appear in no report; the event is
            # kept in the log (a rebuild could use it) and otherwise deliberately ignored.
            return
        case MilestoneCreated():
            await repository.apply_milestone(
                session,
                MilestoneChange(
                    event.milestone_id,
                    event.project_id,
                    0,
                    at,
                    {"title": event.title, "due_date": event.due_date},
                ),
            )
        case MilestoneUpdated():
            await repository.apply_milestone(
                session,
                MilestoneChange(
                    event.milestone_id,
                    event.project_id,
                    event.version,
                    at,
                    {name: _date_or_value(name, ch.after) for name, ch in event.changes.items()},
                ),
            )
        case _:
            return


def _date_or_value(name: str, value: Any) -> Any:
    """`due_date` arrives as an ISO string inside a FieldChange; the column wants a date."""
    if name == "due_date" and isinstance(value, str):
        return date.fromisoformat(value)
    return value
