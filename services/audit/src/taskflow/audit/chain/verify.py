"""Walking the chain: every entry re-hashed, every link checked, every gap explained.

Entries are checked in sequence order against their predecessor:
- the entry's stored hash must equal the hash recomputed from its content (a changed row);
- its `prev_hash` must equal the predecessor's hash (a row changed and re-hashed, or inserted);
- when sequence numbers jump, the missing numbers must be covered exactly by purge ranges that
  the retention job recorded, linked hash to hash (`first_prev_hash` of a range is the hash of
  the entry before it, `last_hash` the hash of its last entry); anything else is a removed row.
Finally the last entry (or purge range) must reach the chain head row, whose `(last_seq,
last_hash)` the consumer updates in the same transaction as every append; that is what makes
removing the newest rows visible.

The verifier is fed one entry at a time so that the database layer can stream any number of
rows through it in chunks; it keeps O(1) state besides the purge ranges.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from taskflow.audit.chain.hashing import GENESIS_HASH, EntryContent, entry_hash

BreakReason = Literal[
    "hash_mismatch", "prev_hash_mismatch", "missing_entry", "head_mismatch", "unexpected_entry"
]


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """An entry as read back: its hashed content and the hash stored with it."""

    content: EntryContent
    hash: str

    @property
    def seq(self) -> int:
        return int(self.content.seq)


@dataclass(frozen=True, slots=True)
class PurgedRange:
    """Consecutive sequence numbers the retention job removed, with their boundary hashes."""

    first_seq: int
    last_seq: int
    first_prev_hash: str
    last_hash: str


@dataclass(frozen=True, slots=True)
class Anchor:
    """A point of the chain taken as given: genesis, or the entry before a verified window."""

    seq: int
    hash: str


GENESIS = Anchor(0, GENESIS_HASH)


@dataclass(slots=True)
class VerifyResult:
    """The outcome: ok, entries re-hashed, the first sequence where the chain breaks."""

    ok: bool
    checked: int
    first_broken_seq: int | None
    reason: BreakReason | None
    head_seq: int
    head_hash: str
    last_checked_seq: int | None


class _Broken(Exception):
    def __init__(self, seq: int, reason: BreakReason) -> None:
        super().__init__(f"chain broken at {seq}: {reason}")
        self.seq = seq
        self.reason = reason


class ChainVerifier:
    """Feed entries in ascending sequence order, then call `finish`."""

    def __init__(self, anchor: Anchor = GENESIS, purged: list[PurgedRange] | None = None):
        self._by_first = {r.first_seq: r for r in purged or []}
        self._seq = anchor.seq
        self._hash = anchor.hash
        self.checked = 0
        self.last_checked_seq: int | None = None
        self.broken: _Broken | None = None

    def _bridge(self, upto: int) -> None:
        """Cross the purged ranges from the current position to just before `upto`."""
        pos = self._seq + 1
        while pos < upto:
            rng = self._by_first.get(pos)
            if rng is None or rng.last_seq < rng.first_seq:
                raise _Broken(pos, "missing_entry")
            if rng.first_prev_hash != self._hash:
                raise _Broken(pos, "prev_hash_mismatch")
            if rng.last_seq >= upto:
                # A purge record claims rows that still exist: the record or the row is forged.
                raise _Broken(upto, "unexpected_entry")
            self._hash = rng.last_hash
            self._seq = rng.last_seq
            pos = rng.last_seq + 1

    def feed(self, entry: StoredEntry) -> bool:
        """Check one entry; False once the chain is broken (stop feeding then)."""
        if self.broken is not None:
            return False
        try:
            if entry.seq <= self._seq:
                raise _Broken(entry.seq, "unexpected_entry")
            self._bridge(entry.seq)
            if entry_hash(entry.content) != entry.hash:
                raise _Broken(entry.seq, "hash_mismatch")
            if entry.content.prev_hash != self._hash:
                raise _Broken(entry.seq, "prev_hash_mismatch")
        except _Broken as exc:
            self.broken = exc
            return False
        self._seq = entry.seq
        self._hash = entry.hash
        self.checked += 1
        self.last_checked_seq = entry.seq
        return True

    def link(self, entry: StoredEntry) -> None:
        """Check only that `entry` (just past the window) links to what was verified."""
        if self.broken is not None:
            return
        try:
            self._bridge(entry.seq)
            if entry.content.prev_hash != self._hash:
                raise _Broken(entry.seq, "prev_hash_mismatch")
        except _Broken as exc:
            self.broken = exc

    def finish(self, head: Anchor, *, reach_head: bool = True) -> VerifyResult:
        """The result; with `reach_head`, the chain must also end exactly at the head row."""
        if self.broken is None and reach_head:
            try:
                if self._seq > head.seq:
                    raise _Broken(head.seq + 1, "unexpected_entry")
                self._bridge(head.seq + 1)
                if self._seq != head.seq or self._hash != head.hash:
                    raise _Broken(max(head.seq, 1), "head_mismatch")
            except _Broken as exc:
                self.broken = exc
        broken = self.broken
        return VerifyResult(
            ok=broken is None,
            checked=self.checked,
            first_broken_seq=None if broken is None else broken.seq,
            reason=None if broken is None else broken.reason,
            head_seq=head.seq,
            head_hash=head.hash,
            last_checked_seq=self.last_checked_seq,
        )
