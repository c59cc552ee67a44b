"""Request and response bodies of saved views, and the row-to-body mapping."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from taskflow.tasks.tasks.schemas import TaskFilters

if TYPE_CHECKING:
    from taskflow.tasks.views.models import SavedView


class ViewCreate(BaseModel):
    """A named filter set, for all my projects or one."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=100)
    project_id: uuid.UUID | None = None
    filters: TaskFilters = Field(default_factory=TaskFilters)


class ViewUpdate(BaseModel):
    """Fields to change."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=100)
    filters: TaskFilters | None = None


class ViewRead(BaseModel):
    """A saved view."""

    id: uuid.UUID
    name: str
    project_id: uuid.UUID | None
    filters: TaskFilters
    created_at: datetime
    updated_at: datetime


def to_read(v: SavedView) -> ViewRead:
    """The API view of a saved view."""
    return ViewRead(
        id=v.id,
        name=v.name,
        project_id=v.project_id,
        filters=TaskFilters.model_validate(v.filters),
        created_at=v.created_at,
        updated_at=v.updated_at,
    )
