"""The verifier on in-memory chains (pure): every kind of break is named by its seq."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime

from taskflow.audit.chain.hashing import GENESIS_HASH, EntryContent, entry_hash
from taskflow.audit.chain.verify import (
    GENESIS,
    Anchor,
    ChainVerifier,
    PurgedRange,
    StoredEntry,
)

T = datetime(2026, 11, 24, tzinfo=UTC)


def chain(n: int) -> list[StoredEntry]:
    out: list[StoredEntry] = []
    prev = GENESIS_HASH
    for seq in range(1, n + 1):
        c = EntryContent(seq, uuid.uuid4(), "t", None, None, None, T, T, "{}", prev)
        h = entry_hash(c)
        out.append(StoredEntry(c, h))
        prev = h
    return out


def run(rows: list[StoredEntry], head: Anchor, purged: list[PurgedRange] | None = None):  # type: ignore[no-untyped-def]
    v = ChainVerifier(GENESIS, purged)
    for r in rows:
        if not v.feed(r):
            break
    return v.finish(head)


def head_of(rows: list[StoredEntry]) -> Anchor:
    return Anchor(rows[-1].seq, rows[-1].hash)


def test_intact_chain() -> None:
    rows = chain(10)
    res = run(rows, head_of(rows))
    assert res.ok
    assert res.checked == 10
    assert res.first_broken_seq is None


def test_changed_row() -> None:
    rows = chain(10)
    bad = dataclasses.replace(rows[4].content, type="evil")
    rows[4] = StoredEntry(bad, rows[4].hash)
    res = run(rows, head_of(rows))
    assert (res.ok, res.first_broken_seq, res.reason) == (False, 5, "hash_mismatch")


def test_changed_and_rehashed_row() -> None:
    rows = chain(10)
    bad = dataclasses.replace(rows[4].content, type="evil")
    rows[4] = StoredEntry(bad, entry_hash(bad))
    res = run(rows, head_of(rows))
    assert (res.first_broken_seq, res.reason) == (6, "prev_hash_mismatch")


def test_removed_row_and_removed_tail() -> None:
    rows = chain(10)
    head = head_of(rows)
    res = run(rows[:3] + rows[4:], head)
    assert (res.first_broken_seq, res.reason) == (4, "missing_entry")
    res = run(rows[:9], head)
    assert (res.first_broken_seq, res.reason) == (10, "missing_entry")


def test_purged_ranges_bridge_gaps() -> None:
    rows = chain(10)
    r = rows
    purged = [
        PurgedRange(1, 2, GENESIS_HASH, r[1].hash),
        PurgedRange(3, 3, r[1].hash, r[2].hash),
        PurgedRange(6, 7, r[4].hash, r[6].hash),
        PurgedRange(10, 10, r[8].hash, r[9].hash),
    ]
    kept = [r[3], r[4], r[7], r[8]]
    res = run(kept, head_of(rows), purged)
    assert res.ok, res
    assert res.checked == 4
    # A forged range (wrong boundary hash) is caught.
    forged = [*purged[:2], PurgedRange(6, 7, "a" * 64, r[6].hash), purged[3]]
    res = run(kept, head_of(rows), forged)
    assert (res.ok, res.first_broken_seq) == (False, 6)
