"""SQL of the entries: filtered keyset pages and lookups (all reads, as the api role)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, cast, func, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Text

from taskflow.audit.db import entries
from taskflow.common.pagination import Page, PageParams, keyset_page, keyset_select

_COLUMNS = (
    entries.c.seq,
    entries.c.event_id,
    entries.c.type,
    entries.c.actor_id,
    entries.c.subject,
    entries.c.project_id,
    entries.c.occurred_at,
    entries.c.recorded_at,
    cast(entries.c.payload, Text).label("payload"),
    entries.c.prev_hash,
    entries.c.hash,
    entries.c.trace_id,
)


@dataclass(frozen=True, slots=True)
class EntryFilter:
    """Search filters; all optional, combined with AND. Times filter `occurred_at`."""

    actor_id: uuid.UUID | None = None
    subject: str | None = None
    project_id: uuid.UUID | None = None
    type: str | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None
    trace_id: str | None = None


#: Entries filed under one project that concern another one too, and the payload field naming
#: it: a task that moved (`task.moved`) is filed under its new project and is also part of the
#: trail of the project it left.
ALSO_CONCERNS = {"task.moved": "from_project_id"}


def _filtered(f: EntryFilter, *, via: tuple[str, str] | None = None) -> Select[Any]:
    """The filter as a query; `via=(type, field)` matches the project through that payload
    field of that type instead of the entry's own `project_id`."""
    q = select(*_COLUMNS)
    if f.actor_id is not None:
        q = q.where(entries.c.actor_id == f.actor_id)
    if f.subject is not None:
        q = q.where(entries.c.subject == f.subject)
    if f.project_id is not None and via is None:
        q = q.where(entries.c.project_id == f.project_id)
    elif f.project_id is not None and via is not None:
        q = q.where(
            entries.c.type == via[0],
            func.json_extract_path_text(entries.c.payload, via[1]) == str(f.project_id),
        )
    if f.type is not None:
        q = q.where(entries.c.type == f.type)
    if f.trace_id is not None:
        q = q.where(entries.c.trace_id == f.trace_id)
    if f.occurred_from is not None:
        q = q.where(entries.c.occurred_at >= f.occurred_from)
    if f.occurred_to is not None:
        q = q.where(entries.c.occurred_at < f.occurred_to)
    return q


async def page(db: AsyncSession, f: EntryFilter, params: PageParams) -> Page[Any]:
    """One page of rows, newest first; the cursor is the last row's `(seq,)`.

    A project's trail also holds the entries that name it in another way (`ALSO_CONCERNS`):
    each way is its own index-ordered branch (the project index; the type index for the few
    moves), narrowed to the page by `keyset_select` and merged by seq, rather than one OR
    that would have to sort the whole project.
    """
    vias: list[tuple[str, str] | None] = [None]
    if f.project_id is not None:
        vias += list(ALSO_CONCERNS.items())
    seq = [entries.c.seq]
    if len(vias) == 1:
        stmt = _filtered(f, via=None)
        return await keyset_page(db, stmt, seq, params, descending=True, scalars=False, parse=_seq)
    branches = [
        keyset_select(_filtered(f, via=via), seq, params, descending=True, parse=_seq)
        for via in vias
    ]
    merged = union_all(*branches).subquery()
    stmt = select(merged)
    return await keyset_page(
        db, stmt, [merged.c.seq], params, descending=True, scalars=False, parse=_seq
    )


def _seq(values: list[Any]) -> tuple[int]:
    """The cursor's seq as an int, as it was always read."""
    return (int(values[0]),)


async def by_event_id(db: AsyncSession, event_id: uuid.UUID) -> Any | None:
    """The entry recording event `event_id`, or None."""
    q = select(*_COLUMNS).where(entries.c.event_id == event_id)
    return (await db.execute(q)).one_or_none()
