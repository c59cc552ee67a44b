"""Response body of the activity log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class ActivityRead(BaseModel):
    """One change: who, what, and each field before and after."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    project_id: uuid.UUID
    task_id: uuid.UUID | None
    actor_id: uuid.UUID | None
    action: str
    changes: dict[str, Any]
    created_at: datetime
