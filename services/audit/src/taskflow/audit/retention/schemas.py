"""Wire shapes of the retention policy and legal holds."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class RetentionRead(BaseModel):
    """The retention policy in force."""

    days: int = Field(description="Entries recorded longer ago than this are purged.")
    floor_days: int = Field(description="The shortest period the deployment allows (>= 90).")
    source: str = Field(description="`policy` when set through the api, else `default`.")
    version: int = Field(description="Send as If-Match to change it (0 = never set).")
    updated_at: datetime | None
    updated_by: uuid.UUID | None


class RetentionUpdate(BaseModel):
    """A new retention period."""

    model_config = ConfigDict(extra="forbid")

    #: 90 is the hard floor; the deployment's own floor (365 by default) is checked on top.
    days: int = Field(ge=90, le=36_500)


class LegalHoldCreate(BaseModel):
    """Why a project's entries must be kept."""

    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=1000)


class LegalHoldRead(BaseModel):
    """A project whose entries the purge keeps, whatever their age."""

    project_id: uuid.UUID
    reason: str | None
    created_at: datetime
    created_by: uuid.UUID | None


def to_read(row: Any | None, default_days: int, floor_days: int) -> RetentionRead:
    """The policy row (or the default when none) as served; never below the floor."""
    if row is None:
        return RetentionRead(
            days=max(default_days, floor_days),
            floor_days=floor_days,
            source="default",
            version=0,
            updated_at=None,
            updated_by=None,
        )
    return RetentionRead(
        days=max(int(row.days), floor_days),
        floor_days=floor_days,
        source="policy",
        version=row.version,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )
