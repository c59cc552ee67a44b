"""The auth schema's metadata, declarative base and the outbox table.

Every table lives in schema `auth` (bound by `make_metadata`), relationships are
`lazy="raise"` so an accidental lazy load fails in tests instead of issuing N+1 queries.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.orm import DeclarativeBase

from taskflow.common.db import make_metadata
from taskflow.events import inbox_table
from taskflow.events.ids import uuid7
from taskflow.events.outbox import Outbox, outbox_table

SCHEMA = "auth"


class Base(DeclarativeBase):
    """Declarative base of every auth model."""

    metadata = make_metadata(SCHEMA)


outbox_rows = outbox_table(Base.metadata)
#: Where the auth service writes its events, in the caller's transaction.
outbox = Outbox(outbox_rows, source="taskflow/auth")
#: Event ids the worker's consumer has handled (the membership projection).
inbox = inbox_table(Base.metadata)


def new_id() -> uuid.UUID:
    """A time-ordered UUID (v7) for new rows."""
    return uuid7()


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)
