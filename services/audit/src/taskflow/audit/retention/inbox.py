"""Trimming the consumer's inbox, which would otherwise grow with the log forever.

The inbox (handled event ids) only has to outlive redeliveries of a message: a crash between
commit and ack, the retry delays (minutes), a replay of parked messages. Rows older than
`inbox_retention_days` (30 by default) are deleted by the worker's periodic pass, as the
consumer's role `taskflow_audit_writer` (the only role besides the owner that writes the
inbox), in chunks so no single transaction is large. A copy of an event arriving after that
is still refused by `append` (it looks the event id up in `entries`, and `event_id` is unique
there), unless its entry was itself purged by retention.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from taskflow.audit.retention import repository


async def trim_inbox(engine: AsyncEngine, *, days: int, now: datetime, chunk: int = 10_000) -> int:
    """Delete inbox rows handled more than `days` before `now`; the number deleted."""
    cutoff = now - timedelta(days=days)
    deleted = 0
    while True:
        async with engine.begin() as conn:
            count = await repository.trim_inbox_chunk(conn, cutoff, chunk)
        deleted += count
        if count < chunk:
            return deleted
