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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, and_, false, or_, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.errors import Unprocessable

T = TypeVar("T")
#: A SELECT of any columns (one entity, or several as tuples).
AnySelect = Select[*tuple[Any, ...]]
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


@dataclass(frozen=True)
class SortKey:
    """One column of a keyset sort order: its direction, and whether it may hold NULLs.

    A nullable column sorts its NULLs last in either direction, so that rows without a value
    (a task without a due date) come after the others and are still reached page by page.
    """

    column: Any  # a column or SQL expression
    descending: bool = False
    nullable: bool = False


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


def keyset_filter_mixed(keys: Sequence[SortKey], values: Sequence[Any]) -> ColumnElement[bool]:
    """The expanded OR form, for keys whose columns sort in different directions or hold NULLs.

    Row i of the OR: the columns before i equal the cursor's values, column i is past its
    value. NULLs sort last: a NULL value is passed by nothing but NULLs, and every NULL is
    past a non-NULL value.
    """
    if len(keys) != len(values) or not keys:
        raise ValueError("keys and values must have the same, non-zero length")
    clauses: list[ColumnElement[bool]] = []
    for i, (k, value) in enumerate(zip(keys, values, strict=True)):
        if value is None:
            continue  # nothing sorts after NULL but NULL, which the next key's row covers
        equal = [
            p.column.is_(None) if v is None else p.column == v
            for p, v in zip(keys[:i], values[:i], strict=True)
        ]
        step = k.column < value if k.descending else k.column > value
        if k.nullable:
            step = or_(step, k.column.is_(None))
        clauses.append(and_(*equal, step))
    return or_(*clauses) if clauses else false()


def _order_by(keys: Sequence[SortKey]) -> list[Any]:
    order: list[Any] = []
    for k in keys:
        if k.nullable:
            order.append((k.column.desc() if k.descending else k.column.asc()).nulls_last())
        else:
            order.append(k.column.desc() if k.descending else k.column)
    return order


def _sort_keys(keys: Sequence[Any], descending: bool) -> list[SortKey]:
    return [k if isinstance(k, SortKey) else SortKey(k, descending) for k in keys]


def keyset_select(
    stmt: AnySelect,
    keys: Sequence[Any],
    page: PageParams,
    *,
    descending: bool = False,
    parse: Callable[[list[Any]], Sequence[Any]] | None = None,
    prefix: Sequence[str] = (),
) -> AnySelect:
    """`stmt` narrowed to one page: after the cursor, in the order of `keys`, `limit + 1` rows.

    `keyset_page` runs it (see there for the arguments); a query that merges index-ordered
    branches (the audit trail of a project) narrows each branch with it and pages the merge
    with `keyset_page`.
    """
    sort = _sort_keys(keys, descending)
    after = page.after(length=len(prefix) + len(sort))
    if after is not None:
        if after[: len(prefix)] != list(prefix):
            raise Unprocessable(
                "The cursor belongs to another sort order.",
                code="invalid_cursor",
                errors=[
                    {"loc": ["query", "cursor"], "msg": "Invalid cursor", "type": "invalid_cursor"}
                ],
            )
        values = after[len(prefix) :]
        if parse is not None:
            try:
                values = list(parse(values))
            except (ValueError, TypeError):
                raise _invalid() from None
        simple = len({k.descending for k in sort}) == 1 and not any(k.nullable for k in sort)
        stmt = stmt.where(
            keyset_filter([k.column for k in sort], values, sort[0].descending)
            if simple
            else keyset_filter_mixed(sort, values)
        )
    return stmt.order_by(*_order_by(sort)).limit(page.limit + 1)


async def keyset_page(
    db: AsyncSession,
    stmt: AnySelect,
    keys: Sequence[Any],
    page: PageParams,
    *,
    descending: bool = False,
    scalars: bool = True,
    key: Callable[[Any], Sequence[Any]] | None = None,
    parse: Callable[[list[Any]], Sequence[Any]] | None = None,
    prefix: Sequence[str] = (),
) -> Page[Any]:
    """One page of the rows `stmt` selects, in the order of `keys`, after the page's cursor.

    The one way every list route pages, so that cursors, the `limit + 1` fetch and the
    index-friendly row comparison are the same everywhere.

    - `keys`: ORM attributes or SQL expressions (sorting in the direction `descending`
      says), or `SortKey`s for mixed directions and nullable columns; the last one unique.
      Keys of one direction without NULLs get a row comparison, the others the OR form.
    - `scalars`: the rows are ORM objects (`stmt` selects one entity); False for tuples
      (`Row`s), which then usually need `key`.
    - `key(row)`: the values the cursor holds for a row, one per key; by default the row's
      attributes named like the keys.
    - `parse(values)`: the decoded cursor's values as compared with `keys`, for a cursor that
      carries a value in another form (text for an id); a ValueError means a forged cursor.
    - `prefix`: constants leading the cursor (a sort order's name); a cursor made for another
      prefix is a 422 `invalid_cursor`.
    """
    sort = _sort_keys(keys, descending)
    paged = keyset_select(stmt, sort, page, parse=parse, prefix=prefix)
    result = await db.execute(paged)
    rows = result.scalars().all() if scalars else result.all()
    names = [k.column.key for k in sort] if key is None else []
    row_key = key or (lambda row: tuple(getattr(row, n) for n in names))
    return page.page(rows, lambda row: (*prefix, *row_key(row)))
