"""Wire shape of the compliance report."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class Count(BaseModel):
    key: str | None
    count: int


class Notable(BaseModel):
    """An entry worth a reviewer's eye (a role change, a deletion), with its chain position."""

    seq: int
    event_id: uuid.UUID
    type: str
    actor_id: uuid.UUID | None
    subject: str | None
    project_id: uuid.UUID | None
    occurred_at: datetime


class ComplianceReport(BaseModel):
    """Who did what in a period: totals, failed logins, role changes and deletions."""

    start: datetime | None = Field(serialization_alias="from")
    end: datetime | None = Field(serialization_alias="to")
    total: int
    by_type: list[Count]
    by_actor: list[Count] = Field(description="The most active actors (up to 50).")
    failed_logins: int
    failed_logins_by_email: list[Count] = Field(description="Up to 20 most targeted emails.")
    failed_logins_by_reason: list[Count]
    role_changes_total: int = Field(description="Membership and role changes in the period.")
    role_changes: list[Notable] = Field(
        description="Project membership and role changes, and system role grants (first 500)."
    )
    deletions_total: int = Field(description="Deletions and deactivations in the period.")
    deletions: list[Notable] = Field(description="Deletions and deactivations (first 500).")
    chain_head_seq: int
    chain_head_hash: str
