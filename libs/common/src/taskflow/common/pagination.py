"""Keyset pagination with opaque cursors.

A cursor is the urlsafe base64 of a JSON list of the last row's sort key. Values that JSON
cannot carry faithfully (datetimes, dates, UUIDs, Decimals) are type-tagged, so the decoded
list has the same Python types and compares correctly in SQL. Cursors are opaque, not secret:
a forged cursor can only move the page window, never widen what the caller may see, since
visibility filters are applied independently of it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import uuid
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, and_, or_, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.errors import Unprocessable

T = TypeVar("T")
MAX_CURSOR_CHARS = 1024
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    """One page of a list: the items and the cursor of the next page (null at the end)."""

    items: list[T]
    next_cursor: str | None = None


def _tag(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, int | float | str):
        return value
    if isinstance(value, dt.datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$d": value.isoformat()}
    if isinstance(value, uuid.UUID):
        return {"$u": str(value)}
    if isinstance(value, Decimal):
        return {"$n": str(value)}
    raise TypeError(f"cannot put {type(value).__name__} in a cursor")


def _untag(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) != 1:
            raise ValueError("bad tagged value")
        ((tag, raw),) = value.items()
        if not isinstance(raw, str):
            raise ValueError("bad tagged value")
        if tag == "$dt":
            return dt.datetime.fromisoformat(raw)
        if tag == "$d":
            return dt.date.fromisoformat(raw)
        if tag == "$u":
            return uuid.UUID(raw)
        if tag == "$n":
            return Decimal(raw)
        raise ValueError("unknown tag")
    if isinstance(value, list):
        raise ValueError("nested list")
    return value


def encode_cursor(*values: Any) -> str:
    """The opaque cursor for a row whose sort key is `values`."""
    raw = json.dumps([_tag(v) for v in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _invalid() -> Unprocessable:
    return Unprocessable(
        "The cursor is not valid.",
        code="invalid_cursor",
        errors=[{"loc": ["query", "cursor"], "msg": "Invalid cursor", "type": "invalid_cursor"}],
    )


def decode_cursor(cursor: str, *, length: int | None = None) -> list[Any]:
    """The sort key a cursor carries; 422 `invalid_cursor` for anything not made by us.

    With `length`, the key must have exactly that many values.
    """
    if len(cursor) > MAX_CURSOR_CHARS:
        raise _invalid()
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if not isinstance(data, list) or not data:
            raise ValueError("not a list")
        values = [_untag(v) for v in data]
    except (ValueError, TypeError, binascii.Error, InvalidOperation, UnicodeError):
        raise _invalid() from None
    if length is not None and len(values) != length:
        raise _invalid()
    return values


class PageParams:
    """Query parameters `limit` (1..200, default 50) and `cursor` of a list route."""

    def __init__(self, limit: int = DEFAULT_LIMIT, cursor: str | None = None) -> None:
        self.limit = limit
        self.cursor = cursor

    def after(self, length: int | None = None) -> list[Any] | None:
        """The decoded cursor (the sort key to continue after), None on the first page."""
        return None if self.cursor is None else decode_cursor(self.cursor, length=length)

    def page(self, rows: Sequence[T], key: Any) -> Page[T]:
        """A page from up to `limit + 1` fetched rows; `key(row)` gives the sort key tuple.

        Fetch `limit + 1` rows: the extra one only tells whether there is a next page.
        """
        items = list(rows[: self.limit])
        has_more = len(rows) > self.limit
        next_cursor = encode_cursor(*key(items[-1])) if has_more and items else None
        return Page[T](items=items, next_cursor=next_cursor)


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=MAX_CURSOR_CHARS)] = None,
) -> PageParams:
    """The dependency: a function, not the class, because FastAPI runs a class's plain
    `__init__` in its thread pool, a round trip that cost more than the page itself."""
    return PageParams(limit, cursor)


PageParamsDep = Annotated[PageParams, Depends(page_params)]


def keyset_filter(
    columns: Sequence[ColumnElement[Any]], values: Sequence[Any], descending: bool = False
) -> ColumnElement[bool]:
    """`WHERE (c1, c2, ...) > (v1, v2, ...)` (or `<` when descending) for the next page.

    All columns must sort in the same direction; a row comparison lets PostgreSQL use a
    composite index on exactly those columns.
    """
    if len(columns) != len(values) or not columns:
        raise ValueError("columns and values must have the same, non-zero length")
    if len(columns) == 1:
        single: ColumnElement[bool] = (
            columns[0] < values[0] if descending else columns[0] > values[0]
        )
        return single
    left = tuple_(*columns)
    right = tuple_(*values)
    return left < right if descending else left > right


def keyset_filter_mixed(
    columns: Sequence[tuple[ColumnElement[Any], bool]], values: Sequence[Any]
) -> ColumnElement[bool]:
    """The expanded OR form for keys whose columns sort in different directions."""
    clauses: list[ColumnElement[bool]] = []
    for i, (col, desc) in enumerate(columns):
        equal = [c == v for (c, _), v in zip(columns[:i], values[:i], strict=True)]
        step = col < values[i] if desc else col > values[i]
        clauses.append(and_(*equal, step))
    return or_(*clauses)


async def keyset_page(
    db: AsyncSession,
    stmt: Select[Any],
    keys: Sequence[Any],
    page: PageParams,
    *,
    descending: bool = False,
) -> Page[Any]:
    """One page of the ORM rows `stmt` selects, in the order of `keys` (ORM attributes, the
    last one unique), continuing after the page's cursor.

    The one way every simple list route pages, so that cursors, the `limit + 1` fetch and the
    index-friendly row comparison are the same everywhere. The cursor holds the last row's
    `keys` values.
    """
    columns: list[ColumnElement[Any]] = list(keys)
    if (after := page.after(length=len(columns))) is not None:
        stmt = stmt.where(keyset_filter(columns, after, descending))
    order = [c.desc() for c in columns] if descending else columns
    rows = (await db.execute(stmt.order_by(*order).limit(page.limit + 1))).scalars().all()
    return page.page(rows, lambda row: tuple(getattr(row, k.key) for k in keys))
