"""Canonical JSON and the SHA-256 hash of an audit entry.

The hash covers `{seq, event_id, type, actor_id, subject, project_id, occurred_at,
recorded_at, payload, prev_hash}` serialised as canonical JSON: keys sorted, no whitespace,
UTF-8 (no `\\u` escapes for non-ASCII), timestamps as UTC ISO 8601 with microseconds and a
`Z`, NaN and infinities refused. Anyone can recompute it from an export with a few lines of
any language, which is the point of a tamper-evident log.

The payload is stored as its canonical text (a PostgreSQL `json` column keeps text byte for
byte, unlike `jsonb`, which may rewrite numbers such as `1e20`). Verification therefore never
re-serialises a payload: it splices the stored text into the entry document, so what was
hashed at append time is exactly what is hashed again.
"""

from __future__ import annotations

import functools
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

#: prev_hash of the first entry of the chain.
GENESIS_HASH = "0" * 64

_encode_str = json.JSONEncoder(ensure_ascii=False).encode


def canonical_json(value: Any) -> str:
    """`value` as canonical JSON text (sorted keys, compact, UTF-8, no NaN)."""
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_default,
    )


def _default(value: Any) -> Any:
    """Types JSON lacks: timestamps normalised to UTC, UUIDs as strings."""
    if isinstance(value, datetime):
        return format_ts(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


@functools.lru_cache(maxsize=4096)
def format_ts(value: datetime) -> str:
    """A timestamp as UTC ISO 8601 with microseconds: `2026-11-24T09:00:00.000000Z`.

    A naive timestamp is refused: guessing its zone would make the hash depend on the machine.
    Cached: a batch shares one `recorded_at`, so verification formats it once per batch.
    """
    offset = value.utcoffset()
    if offset is None:
        raise ValueError("naive timestamps have no place in the audit log")
    if offset:
        value = value.astimezone(UTC)
    # isoformat (C) is an order of magnitude faster than strftime, and this is the inner loop.
    return value.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _opt(value: str | None) -> str:
    return "null" if value is None else _encode_str(value)


@dataclass(frozen=True, slots=True)
class EntryContent:
    """The hashed fields of one entry; `payload` is canonical JSON text."""

    seq: int
    event_id: uuid.UUID
    type: str
    actor_id: uuid.UUID | None
    subject: str | None
    project_id: uuid.UUID | None
    occurred_at: datetime
    recorded_at: datetime
    payload: str
    prev_hash: str


def entry_document(e: EntryContent) -> str:
    """The canonical JSON document of an entry (what is hashed).

    Built by hand in sorted key order because it is the inner loop of both appending and
    verification; `test_hashing` proves it equals `canonical_json` of the same dict.
    """
    return (
        '{"actor_id":'
        + _opt(None if e.actor_id is None else str(e.actor_id))
        + ',"event_id":"'
        + str(e.event_id)
        + '","occurred_at":"'
        + format_ts(e.occurred_at)
        + '","payload":'
        + e.payload
        + ',"prev_hash":'
        + _encode_str(e.prev_hash)
        + ',"project_id":'
        + _opt(None if e.project_id is None else str(e.project_id))
        + ',"recorded_at":"'
        + format_ts(e.recorded_at)
        + '","seq":'
        + str(int(e.seq))
        + ',"subject":'
        + _opt(e.subject)
        + ',"type":'
        + _encode_str(e.type)
        + "}"
    )


def entry_hash(e: EntryContent) -> str:
    """SHA-256 (lower-case hex) of the entry's canonical JSON document."""
    return hashlib.sha256(entry_document(e).encode("utf-8")).hexdigest()
