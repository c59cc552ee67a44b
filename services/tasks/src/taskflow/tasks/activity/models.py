"""The activity log: who changed what, before and after, written with the change."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Index, String, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from taskflow.events.ids import uuid7
from taskflow.tasks.db import Base


class Activity(Base):
    """One change; `changes` is `{field: {"before": ..., "after": ...}}`.

    No foreign keys: activity outlives a purged task only as long as its project, and the
    purge job deletes both together.
    """

    __tablename__ = "activity"
    __table_args__ = (
        Index("ix_activity_task", "task_id", "id", postgresql_where=text("task_id IS NOT NULL")),
        Index("ix_activity_project", "project_id", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    project_id: Mapped[uuid.UUID]
    task_id: Mapped[uuid.UUID | None]
    actor_id: Mapped[uuid.UUID | None]
    action: Mapped[str] = mapped_column(String(64))
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
