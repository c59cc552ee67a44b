"""Wire shapes of audit entries, verification results and exports."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class EntryRead(BaseModel):
    """One recorded event with its place in the hash chain."""

    seq: int = Field(description="Position in the chain (1, 2, 3, ...).")
    event_id: uuid.UUID
    type: str
    actor_id: uuid.UUID | None
    subject: str | None
    project_id: uuid.UUID | None
    occurred_at: datetime
    recorded_at: datetime
    payload: dict[str, Any] = Field(description="The event data, secrets redacted.")
    prev_hash: str = Field(description="Hash of the previous entry (64 zeros for the first).")
    hash: str = Field(description="SHA-256 (hex) of the entry's canonical JSON.")
    trace_id: str | None = Field(
        default=None,
        description=(
            "W3C trace id of the request that caused the event (null when none came with it): "
            "finds every entry of one request and its lines in the services' logs. "
            "Correlation only: it is not covered by the hash."
        ),
    )


class VerifyRead(BaseModel):
    """The outcome of walking (part of) the chain."""

    ok: bool
    checked: int = Field(description="Entries whose hash was recomputed.")
    first_broken_seq: int | None = Field(
        description="First sequence number where the chain does not hold, null when ok."
    )
    reason: (
        Literal[
            "hash_mismatch",
            "prev_hash_mismatch",
            "missing_entry",
            "head_mismatch",
            "unexpected_entry",
        ]
        | None
    ) = None
    head_seq: int = Field(description="Last sequence number of the chain.")
    head_hash: str = Field(description="Hash of the chain head.")


class ExportManifest(BaseModel):
    """What an export contains; also sent as headers and as the last line of the body."""

    count: int
    first_seq: int | None
    last_seq: int | None
    head_hash: str | None = Field(description="Hash of the last exported entry.")
    chain_head_seq: int
    chain_head_hash: str
    format: Literal["csv", "jsonl"]


def to_read(row: Any) -> EntryRead:
    """An entries row (with payload as text) as its wire shape."""
    data = dict(row._mapping)
    data["payload"] = json.loads(data["payload"])
    return EntryRead.model_validate(data)
