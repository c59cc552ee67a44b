"""`keyset_page`, the one helper every list route pages with, over real PostgreSQL rows.

Each test walks every page of a small table and checks the rows came in the sort order, once
each, with NULLs last where a key is nullable, whatever the page size.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import asyncpg
import pytest
from sqlalchemy import Integer, String, Uuid, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from taskflow.common.errors import Unprocessable
from taskflow.common.pagination import (
    Page,
    PageParams,
    SortKey,
    decode_cursor,
    encode_cursor,
    keyset_page,
    keyset_select,
)


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "pitems"
    __table_args__ = {"schema": "svc"}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String, nullable=False)
    score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    uid: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)


ROWS = [
    # id, name, score
    (1, "b", 3),
    (2, "a", None),
    (3, "c", 1),
    (4, "a", 3),
    (5, "b", None),
    (6, "d", 2),
    (7, "a", 1),
]


@pytest.fixture(scope="module")
async def db(scratch_db: str) -> AsyncIterator[AsyncSession]:
    engine = create_async_engine(scratch_db)
    dsn = scratch_db.replace("+asyncpg", "")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS svc.pitems (id int PRIMARY KEY, name text NOT NULL, "
            "score int, uid uuid NOT NULL)"
        )
        await conn.execute("TRUNCATE svc.pitems")
        await conn.executemany(
            "INSERT INTO svc.pitems VALUES ($1, $2, $3, $4)",
            [(i, n, s, uuid.UUID(int=i)) for i, n, s in ROWS],
        )
    finally:
        await conn.close()
    async with async_sessionmaker(engine)() as session:
        yield session
    await engine.dispose()


Fetch = Callable[[PageParams], Any]


async def _walk(fetch: Fetch, limit: int) -> tuple[list[Any], list[str]]:
    """Every row, page by page, and the cursors that led there."""
    cursor: str | None = None
    seen: list[Any] = []
    cursors: list[str] = []
    for _ in range(len(ROWS) + 2):
        page: Page[Any] = await fetch(PageParams(limit=limit, cursor=cursor))
        assert len(page.items) <= limit
        seen += page.items
        if page.next_cursor is None:
            return seen, cursors
        cursor = page.next_cursor
        cursors.append(cursor)
    raise AssertionError("the pages never ended")


def _ids(items: Sequence[Any]) -> list[int]:
    return [i.id for i in items]


@pytest.mark.parametrize("limit", [1, 2, 3, 50])
async def test_orm_rows_ascending_and_descending(db: AsyncSession, limit: int) -> None:
    stmt = select(Item)
    keys = [Item.name, Item.id]
    up, cursors = await _walk(lambda p: keyset_page(db, stmt, keys, p), limit)
    assert _ids(up) == [i for _, i in sorted((n, i) for i, n, _ in ROWS)]
    if cursors:  # the cursor holds the last row's keys
        assert decode_cursor(cursors[0]) == [up[limit - 1].name, up[limit - 1].id]
    down, _ = await _walk(lambda p: keyset_page(db, stmt, keys, p, descending=True), limit)
    assert _ids(down) == _ids(up)[::-1]


@pytest.mark.parametrize("limit", [1, 2, 4])
async def test_tuple_rows_with_a_key(db: AsyncSession, limit: int) -> None:
    stmt = select(Item, Item.name.label("label"))
    seen, cursors = await _walk(
        lambda p: keyset_page(db, stmt, [Item.id], p, scalars=False, key=lambda row: (row[0].id,)),
        limit,
    )
    assert [r[0].id for r in seen] == sorted(i for i, _, _ in ROWS)
    assert all(r.label == r[0].name for r in seen)
    assert decode_cursor(cursors[0]) == [limit]


@pytest.mark.parametrize("limit", [1, 2, 3])
@pytest.mark.parametrize("score_desc", [False, True])
async def test_nullable_key_sorts_nulls_last_either_way(
    db: AsyncSession, limit: int, score_desc: bool
) -> None:
    keys = [SortKey(Item.score, score_desc, nullable=True), SortKey(Item.id, score_desc)]
    seen, _ = await _walk(lambda p: keyset_page(db, select(Item), keys, p), limit)
    valued = sorted(((s, i) for i, _, s in ROWS if s is not None), reverse=score_desc)
    nulls = sorted((i for i, _, s in ROWS if s is None), reverse=score_desc)
    assert _ids(seen) == [i for _, i in valued] + nulls


@pytest.mark.parametrize("limit", [1, 2, 3])
async def test_mixed_directions(db: AsyncSession, limit: int) -> None:
    keys = [SortKey(Item.name), SortKey(Item.id, descending=True)]
    seen, _ = await _walk(lambda p: keyset_page(db, select(Item), keys, p), limit)
    expected = [i for i, _, _ in sorted(ROWS, key=lambda r: (r[1], -r[0]))]
    assert _ids(seen) == expected


async def test_prefix_leads_the_cursor_and_must_match(db: AsyncSession) -> None:
    stmt = select(Item)
    first = await keyset_page(db, stmt, [Item.id], PageParams(limit=2), prefix=("id",))
    assert first.next_cursor is not None
    assert decode_cursor(first.next_cursor) == ["id", 2]
    again = await keyset_page(
        db, stmt, [Item.id], PageParams(limit=2, cursor=first.next_cursor), prefix=("id",)
    )
    assert _ids(again.items) == [3, 4]
    with pytest.raises(Unprocessable) as other:
        await keyset_page(
            db, stmt, [Item.id], PageParams(limit=2, cursor=first.next_cursor), prefix=("-id",)
        )
    assert other.value.code == "invalid_cursor"
    with pytest.raises(Unprocessable):  # the length counts the prefix
        await keyset_page(
            db, stmt, [Item.id], PageParams(limit=2, cursor=encode_cursor(2)), prefix=("id",)
        )


async def test_parse_reads_a_cursor_that_carries_text(db: AsyncSession) -> None:
    """A cursor may hold an id as text (the users list's); `parse` turns it back."""

    def fetch(p: PageParams) -> Any:
        return keyset_page(
            db,
            select(Item),
            [Item.uid],
            p,
            key=lambda i: (str(i.uid),),
            parse=lambda values: (uuid.UUID(str(values[0])),),
        )

    seen, cursors = await _walk(fetch, 3)
    assert _ids(seen) == sorted(i for i, _, _ in ROWS)
    assert decode_cursor(cursors[0]) == [str(uuid.UUID(int=3))]
    with pytest.raises(Unprocessable) as forged:
        await fetch(PageParams(limit=3, cursor=encode_cursor("not-a-uuid")))
    assert forged.value.code == "invalid_cursor"


@pytest.mark.parametrize("limit", [1, 2, 3])
async def test_keyset_select_pages_each_branch_of_a_merge(db: AsyncSession, limit: int) -> None:
    """Branches narrowed with `keyset_select`, merged, paged with `keyset_page` (audit)."""

    def fetch(p: PageParams) -> Any:
        cols = select(Item.id, Item.name)
        branches = [
            keyset_select(cols.where(Item.name == "a"), [Item.id], p, descending=True),
            keyset_select(cols.where(Item.score == 3), [Item.id], p, descending=True),
        ]
        merged = union_all(*branches).subquery()
        return keyset_page(
            db, select(merged).distinct(), [merged.c.id], p, descending=True, scalars=False
        )

    seen, _ = await _walk(fetch, limit)
    assert [r.id for r in seen] == sorted(
        {i for i, n, s in ROWS if n == "a" or s == 3}, reverse=True
    )
