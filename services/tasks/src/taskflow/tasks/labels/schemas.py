"""Bodies of labels."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

COLOUR = r"^#[0-9a-fA-F]{6}$"


class LabelCreate(BaseModel):
    """A new label."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=50)
    colour: str = Field(default="#888888", pattern=COLOUR)


class LabelUpdate(BaseModel):
    """Fields to change."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=50)
    colour: str | None = Field(default=None, pattern=COLOUR)


class LabelRead(BaseModel):
    """A label."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    project_id: uuid.UUID
    name: str
    colour: str
    created_at: datetime
