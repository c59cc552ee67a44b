"""ORM base and tables of the `audit` schema.

Tables are SQLAlchemy Core `Table`s on purpose: the log is appended in batches and read in
streams, never loaded as objects and changed, and Core keeps the hot paths free of ORM
bookkeeping. Every table lives in schema `audit` (bound through the metadata).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Integer,
    SmallInteger,
    Table,
    Text,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase

from taskflow.common.db import make_metadata
from taskflow.events import inbox_table

SCHEMA = "audit"


class Base(DeclarativeBase):
    """Declarative base bound to the `audit` schema with the shared naming convention."""

    metadata = make_metadata(SCHEMA)


metadata = Base.metadata

#: One row per recorded event; `seq` is the chain position (1, 2, 3, ... without gaps
#: except where the retention job purged, which `purges` records).
entries = Table(
    "entries",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("event_id", Uuid, nullable=False, unique=True),
    Column("type", Text, nullable=False),
    Column("actor_id", Uuid, nullable=True),
    Column("subject", Text, nullable=True),
    Column("project_id", Uuid, nullable=True),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    # The column is `json` in the database (see the migration), not `jsonb`: it keeps the exact
    # canonical text that was hashed, byte for byte. It is declared Text here because the
    # service only ever writes that text and reads it back as `payload::text`.
    Column("payload", Text, nullable=False),
    Column("prev_hash", Text, nullable=False),
    Column("hash", Text, nullable=False),
    # The W3C trace id of the request behind the event: correlation, outside the hash.
    Column("trace_id", Text, nullable=True),
)

#: The chain's head: one row, locked by every append so that replicas never fork the chain.
chain_head = Table(
    "chain_head",
    metadata,
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    Column("last_seq", BigInteger, nullable=False),
    Column("last_hash", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)

#: Consecutive sequence numbers removed by the retention job, with the boundary hashes that
#: let verification cross the gap (see chain/verify.py).
purges = Table(
    "purges",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("first_seq", BigInteger, nullable=False, unique=True),
    Column("last_seq", BigInteger, nullable=False),
    Column("first_prev_hash", Text, nullable=False),
    Column("last_hash", Text, nullable=False),
    Column("count", Integer, nullable=False),
    Column("cutoff", DateTime(timezone=True), nullable=False),
    Column("purged_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("last_seq >= first_seq", name="ordered"),
)

#: The retention policy set through the api (one row; absent = the settings' default).
retention_policy = Table(
    "retention_policy",
    metadata,
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    Column("days", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", Uuid, nullable=True),
    CheckConstraint("id = 1", name="single_row"),
    CheckConstraint("days >= 90", name="days_floor"),
)

#: Projects whose entries the retention job must keep whatever their age.
legal_holds = Table(
    "legal_holds",
    metadata,
    Column("project_id", Uuid, primary_key=True),
    Column("reason", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", Uuid, nullable=True),
)

#: Changes of the retention policy and legal holds written by the api in the same transaction
#: as the change, waiting for the worker (the chain's owner) to append them to the chain.
admin_changes = Table(
    "admin_changes",
    metadata,
    Column("event_id", Uuid, primary_key=True),
    Column("type", Text, nullable=False),
    Column("actor_id", Uuid, nullable=True),
    Column("subject", Text, nullable=True),
    Column("project_id", Uuid, nullable=True),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    # `json` in the database; the canonical text is written and read back as is.
    Column("payload", Text, nullable=False),
)

#: Handled event ids per queue (the consumer framework's idempotency record).
inbox = inbox_table(metadata)
