"""API shapes of deliveries (admin view: never the mail body, which may hold a one-time link)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

DeliveryStatus = Literal["pending", "sending", "sent", "failed", "held", "digested", "cancelled"]


class DeliveryRead(BaseModel):
    """One delivery and its attempts."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    channel: str
    kind: str
    user_id: uuid.UUID | None
    notification_id: uuid.UUID | None
    task_id: uuid.UUID | None
    status: DeliveryStatus
    attempts: int
    max_attempts: int
    last_error: str | None
    next_attempt_at: datetime
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
