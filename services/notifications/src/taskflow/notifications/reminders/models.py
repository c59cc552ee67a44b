"""The reminders table: one row per (task, user, kind, time) to fire once."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Index, String, UniqueConstraint, func, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from taskflow.notifications.db import Base, new_id


class Reminder(Base):
    """A reminder (`kind` "reminder") or overdue notice (`kind` "overdue") for one user.

    `fired_at` is the marker that makes it fire once: the scheduler sets it in the same
    transaction that writes the notification, on a row it holds with FOR UPDATE SKIP LOCKED.

    `traceparent` and `request_id` are those of the event that scheduled the row (None for a
    row made before they were kept): the mail it fires carries that trace, as every other mail
    carries the trace of the event that decided it.
    """

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("task_id", "user_id", "kind", "fire_at"),
        Index("ix_reminders_due", "fire_at", postgresql_where=text("fired_at IS NULL")),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)
    task_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False, index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    fire_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    fired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    traceparent: Mapped[str | None] = mapped_column(String(55))
    request_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
