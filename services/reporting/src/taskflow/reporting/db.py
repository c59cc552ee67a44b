"""The reporting schema: read models fed by events, and the log they are rebuilt from.

The tables are SQLAlchemy Core: reporting reads with hand-written aggregate SQL and writes
with `INSERT ... ON CONFLICT`, so ORM identity tracking would only cost time.

- `event_log`: every event applied, as received (the envelope), for `taskflow-reporting
  rebuild`; also the source of `as_of` (the newest event time applied, per project).
- `task_facts`: one row per task, its latest known state plus history-derived figures.
- `task_versions`: the task's state at each version (status, deleted, due, milestone), the
  history that cumulative flow, burndown, start times and reopen counts are derived from.
- `task_assignees`: the current assignees of each task (from the latest version).
- `inbox`: event ids handled by the consumer (taskflow.events), for exactly-once effects.
- `projects`, `members`: the membership projection used for authorization.
- `milestones`: title and due date of milestones (burndown range and ideal line).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Identity,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from taskflow.common.db import make_metadata
from taskflow.events import inbox_table

SCHEMA = "reporting"
metadata = make_metadata(SCHEMA)

event_log = Table(
    "event_log",
    metadata,
    Column("seq", BigInteger, Identity(always=True), primary_key=True),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("type", String(80), nullable=False),
    Column("project_id", UUID(as_uuid=True), nullable=True),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("envelope", JSONB, nullable=False),
    UniqueConstraint("event_id"),
    Index("ix_event_log_project_occurred", "project_id", "occurred_at"),
    Index("ix_event_log_occurred", "occurred_at"),
)

projects = Table(
    "projects",
    metadata,
    Column("project_id", UUID(as_uuid=True), primary_key=True),
    Column("deleted", Boolean, nullable=False, server_default=text("false")),
    # Time of the event that last set `deleted`: an older event never overrides it.
    Column("state_at", DateTime(timezone=True), nullable=True),
    # Archived projects are read-only but stay reportable; the flag is shown with the figures.
    Column("archived", Boolean, nullable=False, server_default=text("false")),
)

members = Table(
    "members",
    metadata,
    Column("project_id", UUID(as_uuid=True), primary_key=True),
    Column("user_id", UUID(as_uuid=True), primary_key=True),
    Column("role", String(20), nullable=False),
    # A removal is kept as a tombstone so that a late `member_added` cannot resurrect it.
    Column("active", Boolean, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Index("ix_members_user", "user_id"),
)

task_facts = Table(
    "task_facts",
    metadata,
    Column("task_id", UUID(as_uuid=True), primary_key=True),
    Column("project_id", UUID(as_uuid=True), nullable=False),
    Column("version", Integer, nullable=False),
    # The status name in its project's workflow, and its category: every rule reads the latter.
    Column("status", String(40), nullable=False),
    Column("category", String(16), nullable=False),
    Column("priority", String(20), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("completed_at", DateTime(timezone=True), nullable=True),
    # What the producer said at the latest version (kept so a recomputation can prefer it).
    Column("reported_completed_at", DateTime(timezone=True), nullable=True),
    Column("due_at", DateTime(timezone=True), nullable=True),
    Column("times_reopened", Integer, nullable=False, server_default=text("0")),
    Column("deleted", Boolean, nullable=False, server_default=text("false")),
    Column("milestone_id", UUID(as_uuid=True), nullable=True),
    Column("assignee_ids", ARRAY(UUID(as_uuid=True)), nullable=False, server_default="{}"),
    # The assignees when the final run of `done` began: who gets the credit for completing it
    # (the current assignees may have changed since). Empty unless the task is done.
    Column("completed_by", ARRAY(UUID(as_uuid=True)), nullable=False, server_default="{}"),
    Index("ix_task_facts_project_status", "project_id", "status"),
    Index("ix_task_facts_project_category", "project_id", "category"),
    Index("ix_task_facts_project_created", "project_id", "created_at"),
    Index(
        "ix_task_facts_project_completed",
        "project_id",
        "completed_at",
        postgresql_where=text("completed_at IS NOT NULL"),
    ),
    Index("ix_task_facts_completed_by", "completed_by", postgresql_using="gin"),
    Index(
        "ix_task_facts_milestone", "milestone_id", postgresql_where=text("milestone_id IS NOT NULL")
    ),
)

task_versions = Table(
    "task_versions",
    metadata,
    Column("task_id", UUID(as_uuid=True), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("project_id", UUID(as_uuid=True), nullable=False),
    Column("status", String(40), nullable=False),
    Column("category", String(16), nullable=False),
    Column("deleted", Boolean, nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=True),
    Column("milestone_id", UUID(as_uuid=True), nullable=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("assignee_ids", ARRAY(UUID(as_uuid=True)), nullable=False, server_default="{}"),
    Index("ix_task_versions_project_at", "project_id", "at"),
    Index(
        "ix_task_versions_milestone",
        "milestone_id",
        postgresql_where=text("milestone_id IS NOT NULL"),
    ),
)

task_assignees = Table(
    "task_assignees",
    metadata,
    Column("task_id", UUID(as_uuid=True), primary_key=True),
    Column("user_id", UUID(as_uuid=True), primary_key=True),
    Column("project_id", UUID(as_uuid=True), nullable=False),
    Index("ix_task_assignees_project_user", "project_id", "user_id"),
    Index("ix_task_assignees_user", "user_id"),
)

milestones = Table(
    "milestones",
    metadata,
    Column("milestone_id", UUID(as_uuid=True), primary_key=True),
    Column("project_id", UUID(as_uuid=True), nullable=False),
    Column("title", String(500), nullable=True),
    Column("due_date", Date, nullable=True),
    # The milestone's own version of the last update applied (0: only the creation seen).
    Column("version", Integer, nullable=False, server_default=text("0")),
    Column("created_at", DateTime(timezone=True), nullable=True),
)

#: Event ids the consumer has handled (taskflow.events), in the same transaction as the effect.
inbox = inbox_table(metadata)

#: Read models emptied and refilled by `rebuild` (the event log and the inbox are kept).
READ_MODELS: tuple[Table, ...] = (
    task_assignees,
    task_versions,
    task_facts,
    milestones,
    members,
    projects,
)

__all__ = [
    "READ_MODELS",
    "SCHEMA",
    "event_log",
    "inbox",
    "members",
    "metadata",
    "milestones",
    "projects",
    "task_assignees",
    "task_facts",
    "task_versions",
]
