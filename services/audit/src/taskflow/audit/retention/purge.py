"""The retention purge, run by the worker as `taskflow_audit_retention`.

Entries recorded before the cutoff are deleted in chunks, except those of projects under legal
hold. Each chunk runs in its own transaction that also inserts one `purges` row per run of
consecutive sequence numbers it removed, with the run's boundary hashes (`first_prev_hash`,
`last_hash`): verification crosses the gap with them, so the chain stays verifiable after a
purge that leaves held entries behind. Before a chunk is committed its rows are checked (hash
recomputed, links inside each run): a tampered entry is never laundered away by retention;
the purge stops and says so instead.

A purge asked for fewer days than the retention floor (the deployment's minimum, never below
90 days) refuses to run at all (`BelowRetentionFloor`); the database's row trigger refuses to
delete entries younger than 90 days or under hold even if this code were wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from taskflow.audit.chain.hashing import entry_hash
from taskflow.audit.chain.store import ENTRY_COLUMNS, to_stored
from taskflow.audit.config import HARD_FLOOR_DAYS
from taskflow.audit.pg import driver
from taskflow.common.logging import get_logger

log = get_logger(__name__)

#: Advisory lock key: one purge at a time across worker replicas.
PURGE_LOCK_KEY = 0x6175_6469_7450  # "auditP"


class TamperedEntries(RuntimeError):
    """The rows a purge was about to delete do not hash to what they claim."""


class BelowRetentionFloor(ValueError):
    """A purge was asked to keep fewer days than the retention floor."""


@dataclass(frozen=True, slots=True)
class PurgeResult:
    """What a purge did: rows deleted, purge records written, the cutoff used."""

    deleted: int
    ranges: int
    cutoff: datetime
    skipped: bool = False


_DELETE = f"""
DELETE FROM audit.entries WHERE seq IN (
    SELECT e.seq FROM audit.entries e
    WHERE e.seq > $1 AND e.recorded_at < $2
      AND (e.project_id IS NULL OR NOT EXISTS (
            SELECT 1 FROM audit.legal_holds h WHERE h.project_id = e.project_id))
    ORDER BY e.seq LIMIT $3
) RETURNING {ENTRY_COLUMNS}
"""  # noqa: S608 - constant columns


def runs(rows: list[Any]) -> list[tuple[int, int, str, str, int]]:
    """Group deleted rows (sorted by seq) into runs of consecutive sequence numbers.

    Returns `(first_seq, last_seq, first_prev_hash, last_hash, count)` per run, after checking
    every row's hash and every link inside a run.
    """
    out: list[tuple[int, int, str, str, int]] = []
    for r in rows:
        entry = to_stored(r)
        if entry_hash(entry.content) != entry.hash:
            raise TamperedEntries(f"entry {entry.seq} does not match its hash")
        if out and out[-1][1] + 1 == entry.seq:
            first, _, first_prev, last_hash, count = out[-1]
            if entry.content.prev_hash != last_hash:
                raise TamperedEntries(f"entry {entry.seq} does not link to {entry.seq - 1}")
            out[-1] = (first, entry.seq, first_prev, entry.hash, count + 1)
        else:
            out.append((entry.seq, entry.seq, entry.content.prev_hash, entry.hash, 1))
    return out


async def effective_days(engine: AsyncEngine, default_days: int, floor_days: int) -> int:
    """The policy set through the api, or the settings' default; never below the floor."""
    async with engine.connect() as conn:
        pg = await driver(conn)
        days = await pg.fetchval("SELECT days FROM audit.retention_policy WHERE id = 1")
    return max(int(days) if days is not None else default_days, floor_days, HARD_FLOOR_DAYS)


async def purge(
    engine: AsyncEngine,
    *,
    days: int,
    now: datetime,
    chunk: int,
    floor_days: int = HARD_FLOOR_DAYS,
) -> PurgeResult:
    """Delete what the policy allows, chunk by chunk; a no-op while another purge runs."""
    floor = max(floor_days, HARD_FLOOR_DAYS)
    if days < floor:
        raise BelowRetentionFloor(f"retention of {days} days is below the floor of {floor}")
    cutoff = now - timedelta(days=days)
    deleted = ranges = 0
    after = 0
    while True:
        async with engine.begin() as conn:
            pg = await driver(conn)
            if not await pg.fetchval("SELECT pg_try_advisory_xact_lock($1)", PURGE_LOCK_KEY):
                log.info("purge_skipped_locked")
                return PurgeResult(deleted, ranges, cutoff, skipped=True)
            rows = sorted(await pg.fetch(_DELETE, after, cutoff, chunk), key=lambda r: r[0])
            if not rows:
                break
            found = runs(rows)
            await pg.executemany(
                "INSERT INTO audit.purges (first_seq, last_seq, first_prev_hash, last_hash, "
                "count, cutoff, purged_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                [(*run, cutoff, now) for run in found],
            )
            deleted += len(rows)
            ranges += len(found)
            after = rows[-1][0]
        if len(rows) < chunk:
            break
    if deleted:
        log.info("purged", deleted=deleted, ranges=ranges, cutoff=cutoff.isoformat())
    return PurgeResult(deleted, ranges, cutoff)
