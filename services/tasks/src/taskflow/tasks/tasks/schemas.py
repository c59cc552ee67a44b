"""Request and response bodies of tasks, lists, search and bulk changes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from sqlalchemy import Row

from taskflow.tasks.tasks.models import PRIORITIES
from taskflow.tasks.tasks.recurrence import RecurrenceError, validate_rule

if TYPE_CHECKING:
    from taskflow.tasks.tasks.models import Task

#: A status name of the task's project (the default workflow's are todo, in_progress,
#: blocked, done, cancelled); `status_id` names the same thing by id.
StatusName = Annotated[str, Field(min_length=1, max_length=40)]
Category = Literal["backlog", "todo", "in_progress", "done", "cancelled"]
Priority = Literal["none", "low", "medium", "high", "urgent"]
TaskSort = Literal[
    "created_at", "-created_at", "updated_at", "-updated_at", "due_at", "-due_at",
    "priority", "-priority", "position", "-position", "rank",
]  # fmt: skip

Title = Annotated[str, Field(min_length=1, max_length=500)]
Description = Annotated[str, Field(max_length=50_000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Reminder(_Strict):
    """A reminder: minutes before the due time, or an absolute time."""

    before_minutes: int | None = Field(default=None, ge=0, le=60 * 24 * 365)
    at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _one_of(self) -> Reminder:
        if (self.before_minutes is None) == (self.at is None):
            raise ValueError("give exactly one of before_minutes and at")
        return self


class Recurrence(_Strict):
    """An RFC 5545 RRULE and whether the next occurrence follows the schedule or completion."""

    rrule: str = Field(min_length=1, max_length=500, examples=["FREQ=WEEKLY;BYDAY=MO"])
    mode: Literal["after_completion", "fixed"] = "after_completion"

    @field_validator("rrule")
    @classmethod
    def _valid_rule(cls, value: str) -> str:
        try:
            return validate_rule(value)
        except RecurrenceError as exc:
            raise ValueError(str(exc)) from None


class _TaskFields(_Strict):
    @model_validator(mode="after")
    def _due_after_start(self) -> Any:
        start, due = getattr(self, "start_at", None), getattr(self, "due_at", None)
        if start is not None and due is not None and due < start:
            raise ValueError("due_at must not be before start_at")
        return self


class TaskCreate(_TaskFields):
    """A new task in a project."""

    title: Title
    description: Description = ""
    status: StatusName | None = Field(
        default=None,
        description="A status name of the project; the first backlog/todo status when omitted.",
    )
    status_id: uuid.UUID | None = Field(default=None, description="A status of the project.")
    priority: Priority = "none"
    label_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    assignee_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    watcher_ids: list[uuid.UUID] = Field(default_factory=list, max_length=200)
    due_at: AwareDatetime | None = None
    start_at: AwareDatetime | None = None
    reminders: list[Reminder] = Field(default_factory=list, max_length=20)
    recurrence: Recurrence | None = None
    progress: int = Field(default=0, ge=0, le=100)
    estimate_minutes: int | None = Field(default=None, ge=0, le=1_000_000)
    parent_id: uuid.UUID | None = None
    milestone_id: uuid.UUID | None = None
    position: float | None = Field(default=None, allow_inf_nan=False)


class TaskUpdate(_TaskFields):
    """Fields to change; omitted fields stay, `null` clears a nullable field."""

    title: Title | None = None
    description: Description | None = None
    status: StatusName | None = Field(default=None, description="A status name of the project.")
    status_id: uuid.UUID | None = Field(default=None, description="A status of the project.")
    priority: Priority | None = None
    label_ids: list[uuid.UUID] | None = Field(default=None, max_length=50)
    assignee_ids: list[uuid.UUID] | None = Field(default=None, max_length=50)
    watcher_ids: list[uuid.UUID] | None = Field(default=None, max_length=200)
    due_at: AwareDatetime | None = None
    start_at: AwareDatetime | None = None
    reminders: list[Reminder] | None = Field(default=None, max_length=20)
    recurrence: Recurrence | None = None
    progress: int | None = Field(default=None, ge=0, le=100)
    estimate_minutes: int | None = Field(default=None, ge=0, le=1_000_000)
    parent_id: uuid.UUID | None = None
    milestone_id: uuid.UUID | None = None
    position: float | None = Field(default=None, allow_inf_nan=False)


class TaskRead(BaseModel):
    """A task."""

    id: uuid.UUID
    project_id: uuid.UUID
    key: str = Field(description="Project key and number, e.g. OPS-123.")
    number: int
    title: str
    description: str
    status: str = Field(description="The status name in the project's workflow.")
    status_id: uuid.UUID
    status_category: Category = Field(
        description="What the status means: completion, overdue and reports read this."
    )
    priority: Priority
    label_ids: list[uuid.UUID]
    assignee_ids: list[uuid.UUID]
    watcher_ids: list[uuid.UUID]
    due_at: datetime | None
    start_at: datetime | None
    reminders: list[dict[str, Any]]
    recurrence: Recurrence | None
    series_id: uuid.UUID | None
    occurrence_index: int | None
    progress: int
    estimate_minutes: int | None
    parent_id: uuid.UUID | None
    milestone_id: uuid.UUID | None
    position: float
    completed_at: datetime | None
    version: int
    created_by: uuid.UUID
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    blocked: bool = Field(
        default=False,
        description="An open task blocks this one (details: GET /tasks/{id}/dependencies).",
    )
    rank: float | None = Field(default=None, description="Search rank (only with `q`).")


class TaskFilters(_Strict):
    """Filters of a task list (query parameters, also stored in saved views)."""

    status: list[Annotated[str, Field(min_length=1, max_length=40)]] | None = Field(
        default=None,
        max_length=50,
        description="Any of: status ids, categories (`done`), or status names (`blocked`).",
    )
    priority: list[Priority] | None = None
    assignee: str | None = Field(default=None, description="A user id, `me` or `none`.")
    label: list[uuid.UUID] | None = Field(default=None, description="Tasks with any of these.")
    milestone: str | None = Field(default=None, description="A milestone id or `none`.")
    parent: str | None = Field(default=None, description="A task id or `none` (top level).")
    due_before: AwareDatetime | None = None
    due_after: AwareDatetime | None = None
    overdue: bool | None = None
    created_before: AwareDatetime | None = None
    created_after: AwareDatetime | None = None
    updated_before: AwareDatetime | None = None
    updated_after: AwareDatetime | None = None
    recurring: bool | None = None
    blocked: bool | None = Field(
        default=None, description="Tasks with (true) or without (false) an open blocker."
    )
    q: str | None = Field(default=None, min_length=1, max_length=200)
    sort: TaskSort | None = None

    @field_validator("assignee", "milestone", "parent")
    @classmethod
    def _id_or_word(cls, value: str | None, info: Any) -> str | None:
        if value is None:
            return None
        words = {"assignee": ("me", "none")}.get(info.field_name, ("none",))
        if value in words:
            return value
        try:
            return str(uuid.UUID(value))
        except ValueError:
            raise ValueError(f"must be a UUID or one of {', '.join(words)}") from None


BulkOp = Literal["update", "move", "delete", "restore"]


class BulkOperation(_Strict):
    """One operation of a bulk request, with the version it expects.

    `move` is a board move inside the task's project: column (`status`), order (`position`)
    and `milestone_id`. Moving to another project is its own route (`POST
    /tasks/{id}/move`): the task changes key and its project-scoped fields are mapped.
    """

    op: BulkOp
    task_id: uuid.UUID
    version: int | None = Field(default=None, ge=1, description="Expected version (If-Match).")
    changes: TaskUpdate | None = Field(default=None, description="For `update`.")
    status: StatusName | None = Field(
        default=None, description="For `move`: the board column, by name."
    )
    status_id: uuid.UUID | None = Field(
        default=None, description="For `move`: the board column, by id."
    )
    position: float | None = Field(default=None, allow_inf_nan=False, description="For `move`.")
    milestone_id: uuid.UUID | None = Field(default=None, description="For `move`.")

    @model_validator(mode="after")
    def _shape(self) -> BulkOperation:
        if self.op == "update" and self.changes is None:
            raise ValueError("update needs changes")
        if (
            self.op == "move"
            and self.status is None
            and self.status_id is None
            and self.position is None
            and self.milestone_id is None
        ):
            raise ValueError("move needs status, status_id, position or milestone_id")
        return self


class BulkRequest(_Strict):
    """Up to 500 operations applied all together or not at all."""

    operations: list[BulkOperation] = Field(min_length=1, max_length=500)


class BulkItemResult(BaseModel):
    """What happened to one operation."""

    index: int
    task_id: uuid.UUID
    status: Literal["ok", "failed", "not_applied"]
    version: int | None = None
    code: str | None = None
    detail: str | None = None
    errors: list[dict[str, Any]] | None = None


class BulkResult(BaseModel):
    """Every operation applied."""

    results: list[BulkItemResult]


class ImportRowResult(BaseModel):
    """One CSV row: created (with the task key) or refused (with the reasons)."""

    row: int
    status: Literal["created", "refused"]
    task_id: uuid.UUID | None = None
    key: str | None = None
    errors: list[dict[str, Any]] = Field(default_factory=list)


class ImportReport(BaseModel):
    """What a CSV import did, row by row."""

    created: int
    refused: int
    rows: list[ImportRowResult]


class TaskMove(_Strict):
    """Where to move a task (with its subtasks, comments and activity)."""

    project_id: uuid.UUID = Field(description="The target project (member or higher there).")
    status_id: uuid.UUID | None = Field(
        default=None, description="A status of the target; else the first of the same category."
    )
    status: StatusName | None = Field(
        default=None, description="A status name of the target (instead of `status_id`)."
    )


class DroppedLabel(BaseModel):
    """A label of the source project with no namesake in the target."""

    id: uuid.UUID
    name: str


class DroppedMilestone(BaseModel):
    """A milestone of the source project with no namesake in the target."""

    id: uuid.UUID
    title: str


class MovedTask(BaseModel):
    """One task that moved (the one asked for, or one of its subtasks) and what it lost."""

    task_id: uuid.UUID
    from_key: str
    to_key: str
    status: str = Field(description="Its status in the target's workflow.")
    dropped_labels: list[DroppedLabel]
    dropped_milestone: DroppedMilestone | None
    removed_assignee_ids: list[uuid.UUID] = Field(
        description="Assignees who are not members of the target."
    )
    removed_watcher_ids: list[uuid.UUID] = Field(
        description="Watchers who are not members of the target."
    )
    detached_from_parent: bool = Field(
        description="It was a subtask of a task that stayed behind, and is now top level."
    )


class TaskMoveResult(BaseModel):
    """The moved task in its new project, and every task that moved with what each lost."""

    task: TaskRead
    moved: list[MovedTask] = Field(description="The task first, then its subtasks.")


class TaskDuplicate(_Strict):
    """A copy of a task in its own project (fields only: no comments, activity or links)."""

    title: Title | None = Field(default=None, description="The copy's title; else the same.")
    include_subtasks: bool = Field(default=False, description="Copy the subtasks too (deep).")


#: The columns a task's API view copies as they are (an ORM object's attributes).
_COPIED = tuple(name for name in TaskRead.model_fields if name not in ("key", "blocked", "rank"))


def to_read(
    task: Task | Row[Any], key: str, rank: float | None = None, *, blocked: bool | None = None
) -> TaskRead:
    """The API view of a task: an ORM object, or a list row (`list_query.LIST_COLUMNS`).

    `blocked` comes with a list row; for an ORM object the caller says it (default False).

    A list row is copied as a whole (`Row._mapping`, in C) and validated in one call:
    pydantic-core validates a dict faster than Python can build keyword arguments one
    attribute at a time, which was most of a 50-task page's CPU after the query.
    """
    if isinstance(task, Row):
        fields: dict[str, Any] = dict(task._mapping)
    else:
        fields = {name: getattr(task, name) for name in _COPIED}
        fields["blocked"] = False
    fields["key"] = f"{key}-{fields['number']}"
    fields["priority"] = PRIORITIES[fields["priority"]]
    for name in ("label_ids", "assignee_ids", "watcher_ids", "reminders"):
        if fields[name] is None:
            fields[name] = []
    if blocked is not None:
        fields["blocked"] = blocked
    fields["blocked"] = bool(fields.get("blocked"))
    fields["rank"] = rank
    return TaskRead.model_validate(fields)
