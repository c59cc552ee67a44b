"""What the projection stores, independent of the wire format of the events it came from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True, slots=True)
class TaskState:
    """A task as it was at one version (taken from the snapshot a task.* event carries)."""

    task_id: UUID
    project_id: UUID
    version: int
    status: str
    category: str
    priority: str
    created_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    milestone_id: UUID | None
    assignee_ids: tuple[UUID, ...]
    deleted: bool


@dataclass(frozen=True, slots=True)
class MembershipChange:
    """A member added, given another role, or removed (`role` None) at `at`."""

    project_id: UUID
    user_id: UUID
    role: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class ProjectChange:
    """A project deleted, archived or restored at `at` (archived projects stay reportable).

    `None` leaves a flag as it is: deleting does not unarchive, archiving does not undelete.
    """

    project_id: UUID
    at: datetime
    deleted: bool | None
    archived: bool | None = None


@dataclass(frozen=True, slots=True)
class MilestoneChange:
    """A milestone created (version 0) or updated (its own version), with what we keep of it."""

    milestone_id: UUID
    project_id: UUID
    version: int
    at: datetime
    fields: dict[str, object]
