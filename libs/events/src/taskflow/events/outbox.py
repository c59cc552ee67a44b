"""The transactional outbox: the event row is written in the same transaction as the change.

A service never publishes to RabbitMQ from a request. It calls :meth:`Outbox.add` inside the
transaction that changes its state; either both commit or neither does, so "saved but not
announced" and "announced but rolled back" cannot happen. :class:`~taskflow.events.relay.
OutboxRelay` publishes committed rows later and marks them sent.

Ordering argument (why per-aggregate order equals ``id`` order):
    ``id`` is an identity column, taken when the row is inserted. A producer first locks the
    aggregate's row (``SELECT ... FOR UPDATE`` of the task, or the UPDATE itself), then inserts
    the event. A second transaction on the same aggregate blocks on that lock until the first
    commits, so its insert, and therefore its ``id``, comes after the first's commit. Two events
    of one aggregate thus have ids in commit order, and the first is visible before the second
    exists. (Rows of *different* aggregates may commit out of id order; nobody relies on that.)
    A creation event needs no lock: nobody else can see the new aggregate until it commits.
    Producers that change a child without touching its aggregate root (e.g. project members,
    aggregate = project) must lock the root row for the same reason.

Each row also carries ``partition = crc32(aggregate_id) % partitions``. Relays take whole
partitions with transaction-level advisory locks, so one aggregate is only ever published by
one relay at a time, in ``id`` order (see the relay module).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    Uuid,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from taskflow.common.tracing import current_request_id, current_traceparent
from taskflow.events.contracts import Event
from taskflow.events.envelope import Envelope

DEFAULT_PARTITIONS = 16


def partition_of(aggregate_id: str, partitions: int = DEFAULT_PARTITIONS) -> int:
    """Stable partition of an aggregate (crc32, the same in every process and language)."""
    return zlib.crc32(aggregate_id.encode()) % partitions


def default_channel(table: Table) -> str:
    """The LISTEN/NOTIFY channel of an outbox: ``outbox_<schema>_<table>``."""
    return f"outbox_{table.schema or 'public'}_{table.name}"


def outbox_table(metadata: MetaData, name: str = "outbox") -> Table:
    """The outbox table in ``metadata``'s schema (the service's own); add it to its migrations.

    The partial index covers only unpublished rows, so it stays tiny however long sent rows
    are kept (purge them with :func:`purge_published`).
    """
    return Table(
        name,
        metadata,
        Column("id", BigInteger, Identity(always=True), primary_key=True),
        Column("event_id", Uuid, nullable=False, unique=True),
        Column("event_type", String(100), nullable=False),
        Column("aggregate_id", Text, nullable=False),
        Column("partition", SmallInteger, nullable=False),
        Column("routing_key", String(200), nullable=False),
        Column("envelope", JSONB, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True), nullable=True),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column("last_error", Text, nullable=True),
        Index(
            f"ix_{name}_unpublished",
            "partition",
            "id",
            postgresql_where=text("published_at IS NULL"),
        ),
    )


#: Outbox rows per INSERT: six parameters each, far below PostgreSQL's 65,535 per statement.
_ROWS_PER_STATEMENT = 1000


class Outbox:
    """Adds events to one service's outbox table inside the caller's transaction.

    ``source`` is the CloudEvents source (``taskflow/tasks``). Each event carries the trace
    context of the work in hand (the request's or the consumed event's, see
    :mod:`taskflow.common.tracing`) unless the caller names a ``traceparent``. The
    ``pg_notify`` issued by :meth:`add` is delivered by PostgreSQL only when the transaction
    commits (and never if it rolls back), which is exactly when the relay should wake up.
    """

    def __init__(
        self,
        table: Table,
        source: str,
        notify_channel: str | None = None,
        *,
        partitions: int = DEFAULT_PARTITIONS,
    ) -> None:
        self.table = table
        self.source = source
        self.notify_channel = notify_channel or default_channel(table)
        self.partitions = partitions

    def row_for(self, envelope: Envelope, aggregate_id: str) -> dict[str, object]:
        """The column values of one outbox row."""
        return {
            "event_id": envelope.id,
            "event_type": envelope.type,
            "aggregate_id": aggregate_id,
            "partition": partition_of(aggregate_id, self.partitions),
            "routing_key": envelope.routing_key,
            "envelope": envelope.to_dict(),
        }

    async def add(
        self,
        session: AsyncSession | AsyncConnection,
        event: Event,
        *,
        actor_id: UUID | None,
        traceparent: str | None = None,
    ) -> Envelope:
        """Insert ``event`` into the outbox in the session's transaction; return its envelope.

        The caller commits (or rolls back) as usual; nothing is published before the commit.
        """
        return (await self.add_many(session, [event], actor_id=actor_id, traceparent=traceparent))[
            0
        ]

    async def add_many(
        self,
        session: AsyncSession | AsyncConnection,
        events: Iterable[Event],
        *,
        actor_id: UUID | None,
        traceparent: str | None = None,
    ) -> list[Envelope]:
        """Insert several events in order (one statement, one notify); return their envelopes."""
        envelopes: list[Envelope] = []
        rows: list[dict[str, object]] = []
        traceparent = traceparent or current_traceparent()
        request_id = current_request_id()
        for event in events:
            env = Envelope.wrap(
                event,
                source=self.source,
                actor_id=actor_id,
                traceparent=traceparent,
                request_id=request_id,
            )
            envelopes.append(env)
            rows.append(self.row_for(env, event.aggregate_id()))
        if not rows:
            return envelopes
        # One round trip (per chunk): the rows go in by a data-modifying CTE, which PostgreSQL
        # runs whether or not the outer query reads it, beside the notify (notifications of a
        # transaction with the same channel and payload fold into one). A multi-row VALUES
        # keeps list order, and with it id order within the transaction; chunks keep a bulk
        # import's statement under PostgreSQL's 65,535 parameters.
        notify = select(func.pg_notify(self.notify_channel, ""))
        for start in range(0, len(rows), _ROWS_PER_STATEMENT):
            chunk = rows[start : start + _ROWS_PER_STATEMENT]
            added = insert(self.table).values(chunk).returning(self.table.c.event_id).cte("added")
            await session.execute(notify.add_cte(added))
        return envelopes


async def purge_published(conn: AsyncConnection, table: Table, older_than_days: int = 7) -> int:
    """Delete rows published more than ``older_than_days`` ago; returns how many (for a job)."""
    result = await conn.execute(
        table.delete().where(
            table.c.published_at.is_not(None),
            table.c.published_at < func.now() - func.make_interval(0, 0, 0, older_than_days),
        )
    )
    return int(result.rowcount or 0)
