"""Projects and their members."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from taskflow.events.ids import uuid7
from taskflow.tasks.db import Base

PROJECT_STATUSES = ("planning", "active", "on_hold", "completed")
PROJECT_HEALTH = ("on_track", "at_risk", "off_track")
ROLES = ("viewer", "member", "admin", "owner")


class Project(Base):
    """A project; `task_counter` numbers its tasks (`OPS-1`, `OPS-2`) under the row lock."""

    __tablename__ = "projects"
    __table_args__ = (
        CheckConstraint("status IN ('planning','active','on_hold','completed')", name="status"),
        CheckConstraint("health IN ('on_track','at_risk','off_track')", name="health"),
        CheckConstraint("key ~ '^[A-Z][A-Z0-9]{1,9}$'", name="key_format"),
        Index(
            "ix_projects_deleted_at", "deleted_at", postgresql_where=text("deleted_at IS NOT NULL")
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    key: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[str] = mapped_column(String(16), default="planning", server_default="planning")
    health: Mapped[str] = mapped_column(String(16), default="on_track", server_default="on_track")
    start_date: Mapped[date | None] = mapped_column(Date)
    target_date: Mapped[date | None] = mapped_column(Date)
    #: Whether a task may be completed while tasks blocking it are still open.
    allow_completion_with_open_blockers: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="false"
    )
    task_counter: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Maintained with the task writes (same transaction) so that progress sorts cheaply.
    tasks_total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    tasks_done: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_by: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Member(Base):
    """A user's role in a project; the whole authorization model of the service."""

    __tablename__ = "project_members"
    __table_args__ = (
        CheckConstraint("role IN ('viewer','member','admin','owner')", name="role"),
        Index("ix_project_members_user_id", "user_id", "project_id"),
    )

    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
