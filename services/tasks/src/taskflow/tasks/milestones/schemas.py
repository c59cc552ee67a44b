"""Bodies of milestones."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from taskflow.tasks.milestones.models import Milestone


class MilestoneCreate(BaseModel):
    """A new milestone."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=20_000)
    due_date: date | None = None
    state: Literal["open", "closed"] = "open"


class MilestoneUpdate(BaseModel):
    """Fields to change."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=20_000)
    due_date: date | None = None
    state: Literal["open", "closed"] | None = None


class MilestoneRead(BaseModel):
    """A milestone with its progress (done / live non-cancelled tasks)."""

    id: uuid.UUID
    project_id: uuid.UUID
    title: str
    description: str
    due_date: date | None
    state: Literal["open", "closed"]
    progress: int
    tasks_total: int
    tasks_done: int
    version: int
    created_at: datetime
    updated_at: datetime


def to_read(m: Milestone, counts: tuple[int, int]) -> MilestoneRead:
    """The API view of a milestone with its (total, done) task counts."""
    total, done = counts
    return MilestoneRead(
        id=m.id,
        project_id=m.project_id,
        title=m.title,
        description=m.description,
        due_date=m.due_date,
        state=m.state,
        progress=(done * 100 // total) if total else 0,
        tasks_total=total,
        tasks_done=done,
        version=m.version,
        created_at=m.created_at,
        updated_at=m.updated_at,
    )
