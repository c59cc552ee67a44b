"""Bodies of comments."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from taskflow.tasks.comments.models import Comment


class CommentCreate(BaseModel):
    """A new comment (markdown; `@<email>` or `@<user id>` mentions a member)."""

    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=20_000)


class CommentUpdate(BaseModel):
    """The new body."""

    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=20_000)


class CommentRead(BaseModel):
    """A comment."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    task_id: uuid.UUID
    project_id: uuid.UUID
    author_id: uuid.UUID
    body: str
    mention_ids: list[uuid.UUID]
    version: int
    created_at: datetime
    updated_at: datetime
    edited_at: datetime | None


def to_read(c: Comment) -> CommentRead:
    return CommentRead.model_validate(c)
