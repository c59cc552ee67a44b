"""Tasks: the heart of the service."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Computed,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from taskflow.events.ids import uuid7
from taskflow.tasks.db import Base

#: Stored as a small integer so that "sort by priority" is an index-friendly integer sort.
PRIORITIES = ("none", "low", "medium", "high", "urgent")

#: Title (weight A), description (B), label names (C, `search_labels`) and live comment bodies
#: (D, `search_comments`), plus one lexeme naming the project (`prj<hex of project_id>`). A
#: search ANDs the words with the caller's project lexemes, so the one GIN index intersects "has
#: the word" with "is in one of my projects" by itself, instead of fetching every task of the
#: caller's projects and testing each (no btree_gin needed). The two plain columns are kept by
#: triggers (migration 0005_search_more), in the transaction of the change that moves them.
SEARCH_VECTOR = (
    "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'B') || "
    "to_tsvector('simple'::regconfig, 'prj' || replace(project_id::text, '-', '')) || "
    "coalesce(search_labels, ''::tsvector) || coalesce(search_comments, ''::tsvector)"
)

#: Columns only the database reads (search); never fetched with a task.
SEARCH_COLUMNS = ("search", "search_labels", "search_comments")
#: GIN indexes without a pending list (migration 0008): a burst of inserts must not make the
#: next searches scan thousands of unmerged entries.
GIN_IN_PLACE: dict[str, Any] = {"postgresql_with": {"fastupdate": "off"}}


class Task(Base):
    """A task; ids of labels, assignees and watchers are arrays (GIN-indexed for filters)."""

    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("project_id", "number"),
        # Exactly one next occurrence per completed occurrence of a series.
        UniqueConstraint("series_id", "occurrence_index"),
        CheckConstraint(
            "status_category IN ('backlog','todo','in_progress','done','cancelled')",
            name="status_category",
        ),
        # The task's status is one of its own project's statuses, and the name and category
        # copied here (for lists, filters and counts without a join) always equal the status
        # row's: a rename cascades; categories never change (see workflows.models).
        ForeignKeyConstraint(
            ["project_id", "status_id", "status", "status_category"],
            [
                "project_statuses.project_id",
                "project_statuses.id",
                "project_statuses.name",
                "project_statuses.category",
            ],
            name="fk_tasks_status",
            onupdate="CASCADE",
        ),
        CheckConstraint("priority BETWEEN 0 AND 4", name="priority"),
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        # Hot lists: one project's live tasks in creation order (the default sort) ...
        Index(
            "ix_tasks_project_live_created",
            "project_id",
            "created_at",
            "id",
            postgresql_where=text("deleted_at IS NULL"),
        ),
        # ... by status (board columns, status filters, WIP counts) and by category ...
        Index(
            "ix_tasks_project_live_status",
            "project_id",
            "status_id",
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index(
            "ix_tasks_project_live_category",
            "project_id",
            "status_category",
            postgresql_where=text("deleted_at IS NULL"),
        ),
        # ... and every task of a status, live or trashed (a status's removal moves them).
        Index("ix_tasks_status_id", "status_id"),
        # ... by due date (overdue, due ranges, "sort by due").
        Index(
            "ix_tasks_project_live_due",
            "project_id",
            "due_at",
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index("ix_tasks_assignee_ids", "assignee_ids", postgresql_using="gin", **GIN_IN_PLACE),
        Index("ix_tasks_label_ids", "label_ids", postgresql_using="gin", **GIN_IN_PLACE),
        Index("ix_tasks_search", "search", postgresql_using="gin", **GIN_IN_PLACE),
        Index("ix_tasks_parent_id", "parent_id", postgresql_where=text("parent_id IS NOT NULL")),
        Index(
            "ix_tasks_milestone_id",
            "milestone_id",
            postgresql_where=text("milestone_id IS NOT NULL"),
        ),
        Index(
            "ix_tasks_trash",
            "project_id",
            "deleted_at",
            postgresql_where=text("deleted_at IS NOT NULL"),
        ),
        Index(
            "ix_tasks_fixed_series",
            "series_id",
            "occurrence_index",
            postgresql_where=text("series_id IS NOT NULL AND recurrence ->> 'mode' = 'fixed'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: The status's name and category, kept equal to the status row by `fk_tasks_status`.
    status: Mapped[str] = mapped_column(String(50))
    status_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    status_category: Mapped[str] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    label_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(Uuid), default=list, server_default="{}"
    )
    assignee_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(Uuid), default=list, server_default="{}"
    )
    watcher_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(Uuid), default=list, server_default="{}"
    )
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    start_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reminders: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default="[]"
    )
    recurrence: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    series_id: Mapped[uuid.UUID | None]
    occurrence_index: Mapped[int | None] = mapped_column(Integer)
    progress: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    estimate_minutes: Mapped[int | None] = mapped_column(Integer)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"))
    milestone_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("milestones.id", ondelete="SET NULL")
    )
    position: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_by: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Kept by triggers (label names, live comment bodies); deferred: only the database reads them.
    search_labels: Mapped[str | None] = mapped_column(TSVECTOR, deferred=True)
    search_comments: Mapped[str | None] = mapped_column(TSVECTOR, deferred=True)
    search: Mapped[str] = mapped_column(
        TSVECTOR, Computed(SEARCH_VECTOR, persisted=True), deferred=True
    )


class TaskKeyRedirect(Base):
    """A key-number a task had before it moved to another project: `OPS-12` -> the task.

    Keyed by the old project's id (not its key text, so a renamed key keeps working) and the
    old number, which that project never hands out again (its counter only grows). The row
    names the task, not its new key, so a task moved twice still answers in one redirect.
    """

    __tablename__ = "task_key_redirects"
    __table_args__ = (Index("ix_task_key_redirects_task_id", "task_id"),)

    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    moved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
