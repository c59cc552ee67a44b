"""Rules of reading the log: pages, lookups, verification on a consistent snapshot."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from taskflow.audit.chain import store
from taskflow.audit.entries import repository
from taskflow.audit.entries.repository import EntryFilter
from taskflow.audit.entries.schemas import EntryRead, VerifyRead, to_read
from taskflow.common.errors import NotFound
from taskflow.common.pagination import Page, PageParams


async def list_entries(
    db: AsyncSession,
    params: PageParams,
    *,
    actor_id: uuid.UUID | None = None,
    subject: str | None = None,
    project_id: uuid.UUID | None = None,
    type: str | None = None,
    occurred_from: datetime | None = None,
    occurred_to: datetime | None = None,
    trace_id: str | None = None,
) -> Page[EntryRead]:
    """One page of the entries matching every filter given, newest first.

    The filters are plain arguments so the router need not know the repository's filter type.
    """
    f = EntryFilter(actor_id, subject, project_id, type, occurred_from, occurred_to, trace_id)
    result = await repository.page(db, f, params)
    return Page[EntryRead](items=[to_read(r) for r in result.items], next_cursor=result.next_cursor)


async def get_entry(db: AsyncSession, event_id: uuid.UUID) -> EntryRead:
    """The entry recording one event."""
    row = await repository.by_event_id(db, event_id)
    if row is None:
        raise NotFound("No entry records this event.", code="entry_not_found")
    return to_read(row)


async def verify(
    snapshot: AsyncEngine, *, from_seq: int | None, to_seq: int | None, chunk: int
) -> VerifyRead:
    """Verify the chain (or a window of it) on one REPEATABLE READ snapshot."""
    async with snapshot.connect() as conn:
        result = await store.verify(conn, from_seq=from_seq, to_seq=to_seq, chunk=chunk)
    return VerifyRead(
        ok=result.ok,
        checked=result.checked,
        first_broken_seq=result.first_broken_seq,
        reason=result.reason,
        head_seq=result.head_seq,
        head_hash=result.head_hash,
    )
