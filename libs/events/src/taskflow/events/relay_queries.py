"""The relay's statements on an outbox table: claim partitions, fetch their oldest rows.

Built once per relay (per table) and reused with bind parameters. See
:mod:`taskflow.events.relay` for the protocol they serve.
"""

from __future__ import annotations

import zlib
from typing import Any

from sqlalchemy import Integer, Select, Table, Text, bindparam, cast, exists, func, select, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.types import SmallInteger


def lock_key(table: Table) -> int:
    """First key of the advisory locks: a signed 32-bit hash of the table's full name."""
    value = zlib.crc32(f"outbox:{table.fullname}".encode())
    return value - (1 << 32) if value >= (1 << 31) else value


def claim_statement(table: Table) -> Select[Any]:
    """Partitions (in the given order) that have pending rows and whose lock we win."""
    parts = (
        func.unnest(bindparam("parts", type_=ARRAY(SmallInteger)))
        .table_valued("p")
        .render_derived()
    )
    o = table.alias("o")
    has_work = exists().where(o.c.partition == parts.c.p, o.c.published_at.is_(None))
    pending = select(parts.c.p).where(has_work).offset(0).subquery("pending")
    return (
        select(pending.c.p)
        .where(
            func.pg_try_advisory_xact_lock(
                bindparam("key", type_=Integer), cast(pending.c.p, Integer)
            )
        )
        .limit(bindparam("cap", type_=Integer))
    )


def fetch_statement(table: Table) -> Select[Any]:
    """The oldest ``n`` pending rows of the claimed partitions, in ``id`` order, locked.

    The ids come from a walk of each partition's head on the partial ``(partition, id)`` index
    (LATERAL ... LIMIT n), merged and cut to ``n``: that reads about ``n`` index entries per
    partition whatever the backlog, where a plain ``WHERE partition IN (...) ORDER BY id LIMIT
    n`` read and sorted every pending row of those partitions (whole envelopes) on each batch.
    The result is the same set: per partition, a prefix of its pending rows in ``id`` order.
    """
    parts = (
        func.unnest(bindparam("parts", type_=ARRAY(SmallInteger)))
        .table_valued("p")
        .render_derived()
    )
    head_rows = table.alias("h")
    head = (
        select(head_rows.c.id)
        .where(head_rows.c.partition == parts.c.p, head_rows.c.published_at.is_(None))
        .order_by(head_rows.c.id)
        .limit(bindparam("n", type_=Integer))
        .lateral("head")
    )
    ids = select(head.c.id).select_from(parts.join(head, true())).order_by(head.c.id)
    t = table
    return (
        select(
            t.c.id,
            t.c.event_id,
            t.c.aggregate_id,
            t.c.routing_key,
            # The envelope as JSON text: parsed by orjson here rather than by the driver's
            # stdlib json codec (the dearest part of the fetch after the plan above).
            cast(t.c.envelope, Text).label("envelope"),
            t.c.created_at,
            t.c.attempts,
        )
        .where(t.c.id.in_(ids.limit(bindparam("n", type_=Integer))), t.c.published_at.is_(None))
        .order_by(t.c.id)
        .with_for_update(skip_locked=True)
    )


def asyncpg_dsn(engine: AsyncEngine) -> str:
    """The engine's URL as a plain ``postgresql://`` DSN for a dedicated asyncpg connection."""
    url = engine.url.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)
