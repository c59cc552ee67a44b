"""The consumer's inbox: which event ids a queue has handled, in the consumer's own schema."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, MetaData, String, Table, Uuid, func


def inbox_table(metadata: MetaData, name: str = "inbox") -> Table:
    """The inbox of handled event ids, in the consumer service's schema.

    The key is ``(event_id, queue)`` rather than ``event_id`` alone, so that a service with two
    queues bound to the same event type handles it once per queue.
    """
    return Table(
        name,
        metadata,
        Column("event_id", Uuid, primary_key=True),
        Column("queue", String(200), primary_key=True),
        Column("handled_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
