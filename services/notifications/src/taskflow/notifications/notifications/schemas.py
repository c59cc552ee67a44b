"""API shapes of in-app notifications."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from taskflow.notifications.notifications.models import Notification


class NotificationRead(BaseModel):
    """One notification as its owner sees it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    title: str
    body: str
    link: str | None
    project_id: uuid.UUID | None
    task_id: uuid.UUID | None
    actor_id: uuid.UUID | None
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


class UnreadCount(BaseModel):
    """How many notifications the user has not read."""

    count: int


class ReadAllResult(BaseModel):
    """How many notifications `read-all` marked read."""

    updated: int


def to_read(n: Notification) -> NotificationRead:
    return NotificationRead.model_validate(n)
