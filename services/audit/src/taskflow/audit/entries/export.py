"""Streaming export of any size, with a manifest that proves what it contains.

The whole export reads from one REPEATABLE READ snapshot, opened before the response starts:
the manifest (count, first and last seq, hash of the last entry, chain head) is computed in
it and sent as response headers, the rows are streamed from it in keyset chunks (memory stays
flat whatever the size), and the manifest is repeated as the last line, so a file that was cut
short is recognisable on its own. Time windows select `recorded_at`, which grows with `seq`,
so an export is a contiguous slice of the chain and can be re-verified from the file alone.

Formats:
- `jsonl`: one entry per line, the canonical entry document plus `"hash"`; drop `hash`,
  canonicalise, SHA-256 and compare. Last line: `{"manifest": {...}}`.
- `csv`: a header row, one row per entry (timestamps in canonical form, payload as canonical
  JSON text). Last line: `#manifest {...}` (not a CSV record: strip it before parsing).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncConnection

from taskflow.audit.chain.hashing import entry_document, format_ts
from taskflow.audit.chain.store import ENTRY_COLUMNS, head, to_stored
from taskflow.audit.entries.schemas import ExportManifest
from taskflow.audit.pg import driver, period

Format = Literal["csv", "jsonl"]
CSV_COLUMNS = (
    "seq", "event_id", "type", "actor_id", "subject", "project_id", "occurred_at",
    "recorded_at", "payload", "prev_hash", "hash",
)  # fmt: skip

MEDIA_TYPES: dict[str, str] = {"csv": "text/csv; charset=utf-8", "jsonl": "application/jsonl"}


async def manifest(
    conn: AsyncConnection, fmt: Format, start: datetime | None, end: datetime | None
) -> ExportManifest:
    """Count and bounds of the window, in the caller's snapshot."""
    pg = await driver(conn)
    where, args = period("recorded_at", start, end)
    row = await pg.fetchrow(
        f"SELECT count(*), min(seq), max(seq) FROM audit.entries WHERE {where}",  # noqa: S608
        *args,
    )
    count, first, last = int(row[0]), row[1], row[2]
    last_hash = None
    if last is not None:
        last_hash = await pg.fetchval("SELECT hash FROM audit.entries WHERE seq = $1", last)
    top = await head(conn)
    return ExportManifest(
        count=count,
        first_seq=first,
        last_seq=last,
        head_hash=last_hash,
        chain_head_seq=top.seq,
        chain_head_hash=top.hash,
        format=fmt,
    )


def manifest_headers(m: ExportManifest) -> dict[str, str]:
    """The manifest as `X-Audit-*` response headers."""
    out = {"X-Audit-Count": str(m.count), "X-Audit-Chain-Head-Seq": str(m.chain_head_seq)}
    if m.first_seq is not None:
        out["X-Audit-First-Seq"] = str(m.first_seq)
        out["X-Audit-Last-Seq"] = str(m.last_seq)
    if m.head_hash is not None:
        out["X-Audit-Head-Hash"] = m.head_hash
    return out


async def stream(
    conn: AsyncConnection,
    m: ExportManifest,
    start: datetime | None,
    end: datetime | None,
    *,
    chunk: int = 5000,
) -> AsyncIterator[bytes]:
    """The body, chunk by chunk; closes `conn` when done or abandoned."""
    try:
        pg = await driver(conn)
        where, args = period("recorded_at", start, end)
        n = len(args)
        stmt = await pg.prepare(
            f"SELECT {ENTRY_COLUMNS} FROM audit.entries "  # noqa: S608 - built from constants
            f"WHERE {where} AND seq > ${n + 1} AND seq <= ${n + 2} ORDER BY seq LIMIT ${n + 3}"
        )
        if m.format == "csv":
            yield (",".join(CSV_COLUMNS) + "\r\n").encode()
        after, upto = 0, m.last_seq or 0
        while after < upto:
            rows = await stmt.fetch(*args, after, upto, chunk)
            if not rows:
                break
            yield _render(rows, m.format)
            after = rows[-1][0]
        tail = json.dumps(m.model_dump(), separators=(",", ":"))
        if m.format == "csv":
            yield f"#manifest {tail}\r\n".encode()
        else:
            yield ('{"manifest":' + tail + "}\n").encode()
    finally:
        await conn.close()


def _render(rows: list[Any], fmt: Format) -> bytes:
    if fmt == "jsonl":
        parts = []
        for r in rows:
            e = to_stored(r)
            doc = entry_document(e.content)
            parts.append(doc[:-1] + ',"hash":"' + e.hash + '"}\n')
        return "".join(parts).encode()
    buf = io.StringIO()
    w = csv.writer(buf)
    for r in rows:
        w.writerow(
            [*r[:3], r[3] or "", r[4] or "", r[5] or "", format_ts(r[6]), format_ts(r[7]), *r[8:]]
        )
    return buf.getvalue().encode()
