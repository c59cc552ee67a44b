"""Appending entries to the chain, serialised by a lock on the single head row.

Every append transaction starts with `SELECT ... FROM chain_head FOR UPDATE`: two consumers
(replicas, or a consumer and a replay) therefore never read the same head, and the chain
cannot fork. Inside the lock a whole batch is numbered and hashed in memory, inserted with one
statement, and the head moved forward in the same transaction, so the head row always
describes the last committed entry (which is how verification detects removed tail rows).

Idempotency: an event id already in the log (a redelivery) or twice in one batch is skipped,
so an event is recorded once whatever the broker does; the unique constraint on `event_id`
is the last line of defence.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from taskflow.audit.chain.hashing import EntryContent, entry_hash
from taskflow.audit.pg import driver


@dataclass(frozen=True, slots=True)
class NewEntry:
    """An event ready to record: redacted, with its payload as canonical JSON text."""

    event_id: uuid.UUID
    type: str
    actor_id: uuid.UUID | None
    subject: str | None
    project_id: uuid.UUID | None
    occurred_at: datetime
    payload: str
    #: The trace id of the request behind the event; stored beside the entry, not hashed.
    trace_id: str | None = None


@dataclass(frozen=True, slots=True)
class Appended:
    """What one append did: entries written, duplicates skipped, the new head."""

    written: int
    skipped: int
    head_seq: int
    head_hash: str


#: One statement per batch: arrays bound once, unnested by the server (no per-row round trip
#: and no per-row statement, which is what makes 5k+ entries/s possible on a small machine).
_INSERT = """
INSERT INTO audit.entries (seq, event_id, type, actor_id, subject, project_id, occurred_at,
                           recorded_at, payload, prev_hash, hash, trace_id)
SELECT s, e, t, a, sub, p, o, $8, pl::json, ph, h, tr
FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::uuid[], $5::text[], $6::uuid[],
            $7::timestamptz[], $9::text[], $10::text[], $11::text[], $12::text[])
     AS u(s, e, t, a, sub, p, o, pl, ph, h, tr)
"""


async def append(
    db: AsyncSession | AsyncConnection, items: Sequence[NewEntry], *, now: datetime | None = None
) -> Appended:
    """Record `items` in order, in the caller's transaction (which must commit)."""
    pg = await driver(db)
    head = await pg.fetchrow(
        "SELECT last_seq, last_hash FROM audit.chain_head WHERE id = 1 FOR UPDATE"
    )
    seq, prev = int(head[0]), str(head[1])

    unique: dict[uuid.UUID, NewEntry] = {}
    for item in items:
        unique.setdefault(item.event_id, item)
    if unique:
        seen = await pg.fetch(
            "SELECT event_id FROM audit.entries WHERE event_id = ANY($1::uuid[])", list(unique)
        )
        for row in seen:
            unique.pop(uuid.UUID(str(row[0])), None)
    fresh = list(unique.values())  # first occurrence of each new id, in arrival order
    if not fresh:
        return Appended(0, len(items), seq, prev)

    recorded_at = now or datetime.now(UTC)
    cols: tuple[list[Any], ...] = tuple([] for _ in range(11))
    for item in fresh:
        seq += 1
        digest = entry_hash(
            EntryContent(
                seq=seq,
                event_id=item.event_id,
                type=item.type,
                actor_id=item.actor_id,
                subject=item.subject,
                project_id=item.project_id,
                occurred_at=item.occurred_at,
                recorded_at=recorded_at,
                payload=item.payload,
                prev_hash=prev,
            )
        )
        for col, value in zip(
            cols,
            (
                seq,
                item.event_id,
                item.type,
                item.actor_id,
                item.subject,
                item.project_id,
                item.occurred_at,
                item.payload,
                prev,
                digest,
                item.trace_id,
            ),
            strict=True,
        ):
            col.append(value)
        prev = digest
    await pg.execute(_INSERT, *cols[:7], recorded_at, *cols[7:])
    await pg.execute(
        "UPDATE audit.chain_head SET last_seq = $1, last_hash = $2, updated_at = now() "
        "WHERE id = 1",
        seq,
        prev,
    )
    return Appended(len(fresh), len(items) - len(fresh), seq, prev)
