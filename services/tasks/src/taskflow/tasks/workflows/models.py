"""A project's workflow: its ordered statuses, each in one category."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from taskflow.events.ids import uuid7
from taskflow.tasks.db import Base

CATEGORIES = ("backlog", "todo", "in_progress", "done", "cancelled")
#: Categories of work not finished: overdue notices, reminders and "open" counts look at these.
OPEN_CATEGORIES = ("backlog", "todo", "in_progress")
CLOSED_CATEGORIES = ("done", "cancelled")

#: The workflow every project had before workflows were per project (and every new project
#: gets): the names are the old fixed values, so clients that send `status: "done"` keep working.
DEFAULT_WORKFLOW: tuple[tuple[str, str, str], ...] = (
    ("todo", "todo", "#6b7280"),
    ("in_progress", "in_progress", "#3b82f6"),
    ("blocked", "in_progress", "#ef4444"),
    ("done", "done", "#22c55e"),
    ("cancelled", "cancelled", "#9ca3af"),
)


class ProjectStatus(Base):
    """One column of a project's board.

    `(project_id, id, name, category)` is unique so that tasks can reference all four with one
    foreign key (`ON UPDATE CASCADE`): the database itself keeps a task's status inside its
    project, and a rename reaches every task in the same statement. The category never changes
    after creation (completion, counters and events were derived from it).
    """

    __tablename__ = "project_statuses"
    __table_args__ = (
        CheckConstraint(
            "category IN ('backlog','todo','in_progress','done','cancelled')", name="category"
        ),
        CheckConstraint("wip_limit IS NULL OR wip_limit > 0", name="wip_limit"),
        CheckConstraint("colour ~ '^#[0-9a-f]{6}$'", name="colour"),
        UniqueConstraint("project_id", "name"),
        UniqueConstraint("project_id", "id", "name", "category", name="uq_project_statuses_ref"),
        Index("ix_project_statuses_project_position", "project_id", "position"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(50))
    colour: Mapped[str] = mapped_column(String(7))
    category: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer)
    wip_limit: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
