"""Events -> projections: users, projects and membership, and task snapshots.

A task event first applies its snapshot; the other domains' task steps (notifications,
reminders, calendar) then run with what the projection knew before (:class:`TaskChange`),
which the guarded upsert returns in the same statement.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.events.contracts.base import registered_events
from taskflow.events.contracts.projects import (
    ProjectCreated,
    ProjectMemberAdded,
    ProjectMemberRemoved,
    ProjectMemberRoleChanged,
    ProjectUpdated,
)
from taskflow.events.contracts.tasks import TaskEvent, TaskSnapshot
from taskflow.events.contracts.users import UserRegistered, UserUpdated
from taskflow.events.envelope import Envelope
from taskflow.notifications.consuming import Handler
from taskflow.notifications.projections import repository as projections


def is_open(snapshot: TaskSnapshot) -> bool:
    """Still to be done: reminders and overdue notices ask the status category, not its name
    (a project may call its done column anything)."""
    return not snapshot.is_closed and snapshot.deleted_at is None


@dataclass(frozen=True)
class Before:
    """What the projection knew of a task before this event."""

    missing: bool
    due_at: datetime | None = None
    title: str | None = None
    open: bool = False
    assignees: list[uuid.UUID] = field(default_factory=list)
    reminders: bool = False

    @classmethod
    def of(cls, row: dict[str, Any] | None) -> Before:
        if row is None:
            return cls(missing=True)
        return cls(
            missing=False,
            due_at=row["due_at"],
            title=row["title"],
            open=not row["done"] and not row["deleted"],
            assignees=list(row["assignee_ids"] or []),
            reminders=bool(row["reminders"]),
        )


@dataclass(frozen=True)
class TaskChange:
    """A task event as the projection saw it: its state before, and whether it was stale
    (an older snapshot than the stored one: people still hear of it, schedules do not move)."""

    before: Before
    stale: bool


class TaskStep(Protocol):
    """One domain's part of a task event, after the projection took the snapshot."""

    def __call__(
        self, session: AsyncSession, envelope: Envelope, event: Any, change: TaskChange
    ) -> Awaitable[None]:
        """Act on the task event inside the consumer's transaction."""


def task_event_types() -> list[str]:
    """Every task event type: each carries a snapshot, so all take the same path."""
    return [cls.event_type for cls in registered_events() if issubclass(cls, TaskEvent)]


def handlers(task_steps: Sequence[TaskStep]) -> dict[str, Handler]:
    """The projections' entries; each task event then runs ``task_steps`` in order."""

    async def task_event(session: AsyncSession, envelope: Envelope, event: TaskEvent) -> None:
        snap = event.task
        applied, prev = await projections.apply_task(
            session, snap.task_id, _snapshot_values(snap, envelope.time)
        )
        change = TaskChange(before=Before.of(prev), stale=not applied)
        for step in task_steps:
            await step(session, envelope, event, change)

    entries: dict[str, Handler] = {
        "user.registered": user_registered,
        "user.updated": user_updated,
        "user.deactivated": user_deactivated,
        "project.created": project_created,
        "project.updated": project_updated,
        "project.member_added": member_added,
        "project.member_role_changed": member_role_changed,
        "project.member_removed": member_removed,
    }
    entries.update(dict.fromkeys(task_event_types(), task_event))
    return entries


async def user_registered(session: AsyncSession, envelope: Envelope, event: UserRegistered) -> None:
    await _upsert_user(session, envelope, event, active=True)


async def user_updated(session: AsyncSession, envelope: Envelope, event: UserUpdated) -> None:
    await _upsert_user(session, envelope, event, active=event.is_active)


async def _upsert_user(
    session: AsyncSession, envelope: Envelope, event: UserRegistered | UserUpdated, *, active: bool
) -> None:
    await projections.upsert_user(
        session,
        event.user_id,
        email=event.email,
        display_name=event.display_name,
        timezone=event.timezone,
        email_verified=event.email_verified,
        active=active,
        updated_at=envelope.time,
    )


async def user_deactivated(session: AsyncSession, envelope: Envelope, event: Any) -> None:
    await projections.upsert_user(session, event.user_id, active=False, updated_at=envelope.time)


async def project_created(session: AsyncSession, envelope: Envelope, event: ProjectCreated) -> None:
    await projections.upsert_project(session, event.project_id, key=event.key, name=event.name)


async def project_updated(session: AsyncSession, envelope: Envelope, event: ProjectUpdated) -> None:
    values: dict[str, Any] = {}
    for name in ("name", "key"):
        change = event.changes.get(name)
        if change is not None and isinstance(change.after, str):
            values[name] = change.after
    await projections.upsert_project(session, event.project_id, **values)


async def member_added(
    session: AsyncSession, envelope: Envelope, event: ProjectMemberAdded
) -> None:
    await projections.add_member(session, event.project_id, event.user_id, event.role)


async def member_role_changed(
    session: AsyncSession, envelope: Envelope, event: ProjectMemberRoleChanged
) -> None:
    await projections.add_member(session, event.project_id, event.user_id, event.after)


async def member_removed(
    session: AsyncSession, envelope: Envelope, event: ProjectMemberRemoved
) -> None:
    await projections.remove_member(session, event.project_id, event.user_id)


def _snapshot_values(snap: TaskSnapshot, now: datetime) -> dict[str, Any]:
    """The projection's columns for a snapshot."""
    return {
        "project_id": snap.project_id,
        "key": snap.key,
        "title": snap.title,
        "status": snap.status,
        "done": snap.is_closed,
        "deleted": snap.deleted_at is not None,
        "due_at": snap.due_at,
        "assignee_ids": list(snap.assignee_ids),
        "watcher_ids": list(snap.watcher_ids),
        "reminders": [r.model_dump(mode="json") for r in snap.reminders],
        "version": snap.version,
        "updated_at": now,
    }
