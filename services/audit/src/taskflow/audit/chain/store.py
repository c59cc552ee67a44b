"""Reading the chain back for verification, in keyset chunks on one snapshot.

Verification and export stream the whole log, so they read through the asyncpg connection
under SQLAlchemy (`driver_connection`): rows arrive as tuples without ORM or Core result
processing, which is most of the difference between ~20k and ~150k entries/s on one core.
The caller runs them inside a REPEATABLE READ transaction so that the head row and every
chunk come from the same snapshot while the consumer keeps appending.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from taskflow.audit.chain.hashing import EntryContent
from taskflow.audit.chain.verify import (
    GENESIS,
    Anchor,
    ChainVerifier,
    PurgedRange,
    StoredEntry,
    VerifyResult,
)
from taskflow.audit.pg import driver

ENTRY_COLUMNS = (
    "seq, event_id, type, actor_id, subject, project_id, occurred_at, recorded_at, "
    "payload::text AS payload, prev_hash, hash"
)


def to_stored(r: Any) -> StoredEntry:
    """An asyncpg record of ENTRY_COLUMNS as a StoredEntry."""
    return StoredEntry(
        EntryContent(
            seq=r[0],
            event_id=r[1],
            type=r[2],
            actor_id=r[3],
            subject=r[4],
            project_id=r[5],
            occurred_at=r[6],
            recorded_at=r[7],
            payload=r[8],
            prev_hash=r[9],
        ),
        r[10],
    )


async def head(conn: AsyncConnection) -> Anchor:
    """The chain head as committed (in the caller's snapshot)."""
    pg = await driver(conn)
    row = await pg.fetchrow("SELECT last_seq, last_hash FROM audit.chain_head WHERE id = 1")
    return GENESIS if row is None else Anchor(int(row[0]), str(row[1]))


async def purged_ranges(conn: AsyncConnection, upto: int) -> list[PurgedRange]:
    """Every purge record that starts at or before `upto`."""
    pg = await driver(conn)
    rows = await pg.fetch(
        "SELECT first_seq, last_seq, first_prev_hash, last_hash FROM audit.purges "
        "WHERE first_seq <= $1 ORDER BY first_seq",
        upto,
    )
    return [PurgedRange(r[0], r[1], r[2], r[3]) for r in rows]


async def stream_entries(
    conn: AsyncConnection, after: int, upto: int, *, chunk: int = 5000
) -> AsyncIterator[list[StoredEntry]]:
    """Entries with `after < seq <= upto` in ascending order, `chunk` rows per query."""
    pg = await driver(conn)
    query = (
        f"SELECT {ENTRY_COLUMNS} FROM audit.entries "  # noqa: S608 - constant columns
        "WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3"
    )
    stmt = await pg.prepare(query)
    while True:
        rows = await stmt.fetch(after, upto, chunk)
        if not rows:
            return
        yield [to_stored(r) for r in rows]
        after = rows[-1][0]
        if len(rows) < chunk:
            return


async def verify(
    conn: AsyncConnection,
    *,
    from_seq: int | None = None,
    to_seq: int | None = None,
    chunk: int = 5000,
) -> VerifyResult:
    """Verify entries `from_seq..to_seq` (default: the whole chain up to the head).

    A window that starts later than 1 is anchored on the entry (or purge record) just before
    it, taken as given; a window that ends before the head is closed by checking that the next
    entry links to it. Verifying to the head also proves no entry after the last one is gone.
    """
    top = await head(conn)
    start = max(1, from_seq or 1)
    end = top.seq if to_seq is None else min(to_seq, top.seq)
    reach_head = end >= top.seq
    pg = await driver(conn)

    anchor = GENESIS
    if start > 1:
        prev = await pg.fetchrow(
            "SELECT seq, hash FROM audit.entries WHERE seq < $1 ORDER BY seq DESC LIMIT 1", start
        )
        purged = await pg.fetchrow(
            "SELECT last_seq, last_hash FROM audit.purges WHERE last_seq < $1 "
            "ORDER BY last_seq DESC LIMIT 1",
            start,
        )
        candidates = [Anchor(int(r[0]), str(r[1])) for r in (prev, purged) if r is not None]
        if candidates:
            anchor = max(candidates, key=lambda a: a.seq)
    verifier = ChainVerifier(anchor, await purged_ranges(conn, top.seq + 1))
    if end >= start:
        async for rows in stream_entries(conn, start - 1, end, chunk=chunk):
            for entry in rows:
                if not verifier.feed(entry):
                    return verifier.finish(top, reach_head=False)
    if not reach_head and verifier.broken is None:
        nxt = await pg.fetchrow(
            f"SELECT {ENTRY_COLUMNS} FROM audit.entries "  # noqa: S608 - constant columns
            "WHERE seq > $1 ORDER BY seq LIMIT 1",
            end,
        )
        if nxt is not None:
            verifier.link(to_stored(nxt))
        else:
            reach_head = True  # nothing after the window: it must end at the head
    return verifier.finish(top, reach_head=reach_head)
