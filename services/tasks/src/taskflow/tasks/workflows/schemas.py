"""Request and response bodies of a project's workflow."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from taskflow.tasks.workflows.models import ProjectStatus

Category = Literal["backlog", "todo", "in_progress", "done", "cancelled"]
StatusName = Annotated[str, Field(min_length=1, max_length=40)]
Colour = Annotated[
    str, Field(pattern=r"^#[0-9a-fA-F]{6}$", examples=["#3b82f6"], description="#rrggbb")
]
WipLimit = Annotated[int, Field(ge=1, le=10_000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class StatusCreate(_Strict):
    """A new status, appended at the end of the workflow unless `position` says where."""

    name: StatusName
    colour: Colour = "#6b7280"
    category: Category
    wip_limit: WipLimit | None = None
    position: int | None = Field(
        default=None, ge=0, description="0-based place in the workflow; the end when omitted."
    )


class StatusUpdate(_Strict):
    """Rename, recolour or change the WIP limit (`null` removes it); the category is fixed."""

    name: StatusName | None = None
    colour: Colour | None = None
    wip_limit: WipLimit | None = None


class StatusOrder(_Strict):
    """Every status id of the project, in the new order."""

    status_ids: list[uuid.UUID] = Field(min_length=1, max_length=50)


class StatusRead(BaseModel):
    """One status of a project's workflow."""

    id: uuid.UUID
    project_id: uuid.UUID
    name: str
    colour: str
    category: Category
    position: int
    wip_limit: int | None
    task_count: int = Field(description="Live tasks in this status now.")
    version: int
    created_at: datetime
    updated_at: datetime


class WorkflowRead(BaseModel):
    """A project's statuses in board order (a workflow is small: at most 50 statuses)."""

    items: list[StatusRead]


def to_read(s: ProjectStatus, count: int = 0) -> StatusRead:
    """The API view of a status."""
    return StatusRead(
        id=s.id,
        project_id=s.project_id,
        name=s.name,
        colour=s.colour,
        category=s.category,
        position=s.position,
        wip_limit=s.wip_limit,
        task_count=count,
        version=s.version,
        created_at=s.created_at,
        updated_at=s.updated_at,
    )
