"""Event lag during a load level, read from the consumers' own tables.

- audit: `audit.entries.recorded_at - occurred_at` (the event's time is set in the tasks
  transaction that wrote the outbox row, so this spans commit, relay, broker and the audit
  worker's append);
- reporting: `reporting.event_log.received_at - occurred_at`, the same span for the projection;
- notifications: a task created with an assignee other than its creator makes a notification;
  lag is the first notification row's `created_at - tasks.created_at` of that task.

All three are percentiles over the rows whose event happened inside the level's window.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

QUANTILES = "percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY lag)"
QUERIES = {
    "audit entry": f"""
        SELECT count(*), {QUANTILES}, max(lag) FROM (
          SELECT extract(epoch FROM recorded_at - occurred_at) AS lag FROM audit.entries
          WHERE occurred_at BETWEEN $1 AND $2) s""",
    "reporting fact": f"""
        SELECT count(*), {QUANTILES}, max(lag) FROM (
          SELECT extract(epoch FROM received_at - occurred_at) AS lag FROM reporting.event_log
          WHERE occurred_at BETWEEN $1 AND $2) s""",
    "notification": f"""
        SELECT count(*), {QUANTILES}, max(lag) FROM (
          SELECT extract(epoch FROM min(n.created_at) - t.created_at) AS lag
          FROM notifications.notifications n JOIN tasks.tasks t ON t.id = n.task_id
          WHERE t.created_at BETWEEN $1 AND $2
          GROUP BY t.id, t.created_at) s""",
}


async def event_lag(dsn: str, start: datetime, end: datetime) -> dict[str, dict[str, float]]:
    """p50/p95/p99/max seconds and count per consumer for events in [start, end]."""
    conn = await asyncpg.connect(dsn)
    try:
        out: dict[str, dict[str, float]] = {}
        for name, sql in QUERIES.items():
            row = await conn.fetchrow(sql, start, end)
            assert row is not None
            q = row[1] or [float("nan")] * 3
            out[name] = {
                "n": float(row[0]),
                "p50": q[0],
                "p95": q[1],
                "p99": q[2],
                "max": float(row[2] if row[2] is not None else float("nan")),
            }
        return out
    finally:
        await conn.close()


async def wait_drained(dsn: str, end: datetime, limit: float = 120) -> float:
    """Seconds until the consumers have caught up with the level's events (audit as proxy)."""
    import asyncio
    import time

    conn = await asyncpg.connect(dsn)
    try:
        started = time.monotonic()
        while time.monotonic() - started < limit:
            pending = await conn.fetchval(
                "SELECT count(*) FROM tasks.outbox WHERE published_at IS NULL"
            )
            if not pending:
                return time.monotonic() - started
            await asyncio.sleep(0.5)
        return float("nan")
    finally:
        await conn.close()
