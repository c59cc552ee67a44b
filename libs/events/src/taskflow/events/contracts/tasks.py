"""Events about tasks, produced by the tasks service.

Every ``task.*`` event carries the whole :class:`TaskSnapshot` after the change, so a consumer
never has to call the tasks service back, and ``task.version`` lets a projection ignore an event
older than what it already holds. The description is left out on purpose (up to 50 KB).
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from taskflow.events.contracts.base import Event, FieldChange

#: A status *name* of the task's project workflow (the default workflow's names are the five
#: statuses of the fixed workflow before v1.1: todo, in_progress, blocked, done, cancelled).
#: Rules about completion must read ``status_category``, never the name.
TaskStatus = str
TaskStatusCategory = Literal["backlog", "todo", "in_progress", "done", "cancelled"]
_LEGACY_CATEGORY: dict[str, TaskStatusCategory] = {
    "todo": "todo",
    "in_progress": "in_progress",
    "blocked": "in_progress",
    "done": "done",
    "cancelled": "cancelled",
}


def category_of(status: str, category: TaskStatusCategory | None) -> TaskStatusCategory:
    """The category of a status: the one carried, or (events written before workflows were
    per project, which carry none) the category of the fixed status of that name."""
    if category is not None:
        return category
    return _LEGACY_CATEGORY.get(status, "todo")


TaskPriority = Literal["none", "low", "medium", "high", "urgent"]


class Reminder(BaseModel):
    """A reminder relative to the due date (``before_minutes``) or at a fixed time (``at``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    before_minutes: int | None = Field(default=None, ge=0)
    at: datetime | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.before_minutes is None) == (self.at is None):
            raise ValueError("a reminder has exactly one of before_minutes and at")
        return self


class Recurrence(BaseModel):
    """An RFC 5545 RRULE and how the next occurrence is placed.

    ``mode`` is ``"fixed"`` (on the schedule) or ``"after_completion"`` (counted from the
    completion of the previous occurrence); kept as a string so that a new mode is not a
    breaking change for consumers that only display it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    rrule: str
    mode: str = "fixed"


class TaskSnapshot(BaseModel):
    """The state of a task after the change that the event reports."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @property
    def category(self) -> TaskStatusCategory:
        """The status category, also for events from before workflows (see `category_of`)."""
        return category_of(self.status, self.status_category)

    @property
    def is_closed(self) -> bool:
        """Done or cancelled: no reminders, no overdue notices."""
        return self.category in ("done", "cancelled")

    task_id: UUID
    project_id: UUID
    key: str = Field(description='Human key, e.g. "OPS-12"')
    number: int
    title: str
    status: TaskStatus = Field(max_length=40, description="The status name in its workflow.")
    status_id: UUID | None = Field(
        default=None, description="The status (absent in events from before workflows)."
    )
    status_category: TaskStatusCategory | None = Field(
        default=None, description="The status's category (absent in events from before workflows)."
    )
    priority: TaskPriority
    assignee_ids: list[UUID] = Field(default_factory=list)
    watcher_ids: list[UUID] = Field(default_factory=list)
    label_ids: list[UUID] = Field(default_factory=list)
    due_at: datetime | None = None
    start_at: datetime | None = None
    reminders: list[Reminder] = Field(default_factory=list)
    recurrence: Recurrence | None = None
    parent_id: UUID | None = None
    milestone_id: UUID | None = None
    estimate_minutes: int | None = None
    progress: int = Field(default=0, ge=0, le=100)
    created_by: UUID
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None = None
    deleted_at: datetime | None = None
    version: int


class TaskEvent(Event):
    """Events whose aggregate is one task; ``project_id`` comes from the snapshot."""

    task: TaskSnapshot

    @property
    def project_id(self) -> UUID:
        """The task's project (a property: the snapshot already carries it)."""
        return self.task.project_id

    @property
    def task_id(self) -> UUID:
        """The task's id."""
        return self.task.task_id

    def subject(self) -> str:
        return f"task/{self.task.task_id}"

    def aggregate_id(self) -> str:
        return str(self.task.task_id)

    def project_ref(self) -> UUID | None:
        return self.task.project_id


class TaskCreated(TaskEvent):
    """A task was created; ``mentions`` are the members @-mentioned in its description.

    The producer resolves mentions to project members and leaves out the creator, so a
    consumer may notify them as it would the mentions of a comment.
    """

    event_type: ClassVar[str] = "task.created"

    mentions: list[UUID] = Field(default_factory=list)


class TaskUpdated(TaskEvent):
    """Fields of a task changed: ``changes`` holds each changed field, before and after.

    Assignment and status changes have their own events; a producer may report them here as
    well when one request changed several things. ``mentions`` (added in v1, optional) are the
    members newly @-mentioned by the description.
    """

    event_type: ClassVar[str] = "task.updated"

    changes: dict[str, FieldChange]
    #: Members newly @-mentioned by a changed description (not those it already mentioned,
    #: never the actor); empty when the description did not change.
    mentions: list[UUID] = Field(default_factory=list)


class TaskAssigned(TaskEvent):
    """A user was added to the task's assignees."""

    event_type: ClassVar[str] = "task.assigned"

    assignee_id: UUID


class TaskUnassigned(TaskEvent):
    """A user was removed from the task's assignees."""

    event_type: ClassVar[str] = "task.unassigned"

    assignee_id: UUID


class TaskStatusChanged(TaskEvent):
    """The status moved from ``before`` to ``after`` (names), with their ids and categories."""

    event_type: ClassVar[str] = "task.status_changed"

    before: TaskStatus
    after: TaskStatus
    before_id: UUID | None = None
    after_id: UUID | None = None
    before_category: TaskStatusCategory | None = None
    after_category: TaskStatusCategory | None = None


class TaskCompleted(TaskEvent):
    """The task entered a status of category ``done`` (``task.completed_at`` is set)."""

    event_type: ClassVar[str] = "task.completed"


class TaskReopened(TaskEvent):
    """A task left the ``done`` category."""

    event_type: ClassVar[str] = "task.reopened"


class TaskDeleted(TaskEvent):
    """The task was soft-deleted (``task.deleted_at`` is set); restorable until purged."""

    event_type: ClassVar[str] = "task.deleted"


class TaskRestored(TaskEvent):
    """A soft-deleted task is live again."""

    event_type: ClassVar[str] = "task.restored"


class TaskRef(BaseModel):
    """Another task named by an event (a blocker): enough to show it without a call back."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    task_id: UUID
    project_id: UUID
    key: str
    title: str
    status: TaskStatus
    status_category: TaskStatusCategory | None = None


class TaskDependencyAdded(TaskEvent):
    """``blocker`` now blocks this task (``task`` is the blocked one)."""

    event_type: ClassVar[str] = "task.dependency_added"

    blocker: TaskRef


class TaskDependencyRemoved(TaskEvent):
    """``blocker`` no longer blocks this task (``task`` is the blocked one)."""

    event_type: ClassVar[str] = "task.dependency_removed"

    blocker: TaskRef


class TaskUnblocked(TaskEvent):
    """The last open blocker of this task was completed or cancelled (``blocker`` is it).

    ``task`` is the blocked task, now free to start; its assignees are told.
    """

    event_type: ClassVar[str] = "task.unblocked"

    blocker: TaskRef


class TaskMoved(TaskEvent):
    """The task moved to another project (``task`` is it after the move, in the target).

    It has a new number there (``task.key``; the old one is ``from_key`` and keeps answering
    with a redirect). Its labels and milestone were mapped by name to the target's or
    dropped, and assignees or watchers who are not members of the target were removed: the
    ``dropped_*`` and ``removed_*`` fields say what went. Projections keyed by project move
    the task (and, for reports, its history) from ``from_project_id`` to ``to_project_id``.
    A subtask moved with its parent gets its own event.
    """

    event_type: ClassVar[str] = "task.moved"

    from_project_id: UUID
    to_project_id: UUID
    from_key: str = Field(description='The key before the move, e.g. "OPS-12"')
    dropped_label_ids: list[UUID] = Field(
        default_factory=list, description="Labels (of the source) with no namesake in the target."
    )
    dropped_milestone_id: UUID | None = Field(
        default=None, description="The milestone (of the source) with no namesake in the target."
    )
    removed_assignee_ids: list[UUID] = Field(default_factory=list)
    removed_watcher_ids: list[UUID] = Field(default_factory=list)
