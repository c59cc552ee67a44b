"""Request and response bodies of task dependencies."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field


class DependencyCreate(BaseModel):
    """A task that blocks this one (it may be in another project the caller can see)."""

    model_config = ConfigDict(extra="forbid")

    task_id: uuid.UUID = Field(description="The blocker.")


class LinkedTask(BaseModel):
    """The other end of a dependency."""

    task_id: uuid.UUID
    project_id: uuid.UUID
    key: str
    title: str
    status: str
    status_category: str
    open: bool = Field(description="Neither done nor cancelled, and not in the trash.")


class DependenciesRead(BaseModel):
    """What blocks the task and what it blocks (only tasks of projects the caller is in)."""

    task_id: uuid.UUID
    blocked: bool = Field(description="At least one blocker is open.")
    blocked_by: list[LinkedTask]
    blocks: list[LinkedTask]
