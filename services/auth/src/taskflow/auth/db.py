"""The auth schema's metadata, declarative base and the outbox table.

Every table lives in schema `auth` (bound by `make_metadata`), relationships are
`lazy="raise"` so an accidental lazy load fails in tests instead of issuing N+1 queries.
"""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from taskflow.common.clock import utcnow as utcnow  # the service's clock, one for every service
from taskflow.common.db import make_metadata
from taskflow.common.ids import new_id as new_id  # the primary keys' default
from taskflow.events import inbox_table
from taskflow.events.outbox import Outbox, outbox_table

SCHEMA = "auth"


class Base(DeclarativeBase):
    """Declarative base of every auth model."""

    metadata = make_metadata(SCHEMA)


outbox_rows = outbox_table(Base.metadata)
#: Where the auth service writes its events, in the caller's transaction.
OUTBOX = Outbox(outbox_rows, source="taskflow/auth")
#: Event ids the worker's consumer has handled (the membership projection).
inbox = inbox_table(Base.metadata)
