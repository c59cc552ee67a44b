"""Sort orders with keyset pagination, nullable sort columns included.

`taskflow.common.pagination.keyset_filter` covers the non-null case (a row comparison that a
composite index serves); a nullable column such as `due_at` needs the expanded form so that
rows without a value come last in either direction and are still reachable page by page.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, or_

from taskflow.common.pagination import keyset_filter


def cols(columns: list[Any]) -> list[ColumnElement[Any]]:
    """ORM attributes as the column list `keyset_filter` takes (a typing bridge)."""
    return columns


@dataclass(frozen=True)
class SortSpec:
    """One sort order: `expr` then the row id, both in the same direction."""

    name: str
    expr: Any  # a column or SQL expression
    id_col: Any
    desc: bool = False
    nullable: bool = False

    def order_by(self) -> list[ColumnElement[Any]]:
        """ORDER BY clauses: nulls always last, id as the tie-breaker."""
        if self.desc:
            first = self.expr.desc().nulls_last() if self.nullable else self.expr.desc()
            return [first, self.id_col.desc()]
        first = self.expr.asc().nulls_last() if self.nullable else self.expr.asc()
        return [first, self.id_col.asc()]

    def after(self, value: Any, last_id: uuid.UUID) -> ColumnElement[bool]:
        """Rows strictly after the row whose sort key was `(value, last_id)`."""
        id_step = self.id_col < last_id if self.desc else self.id_col > last_id
        if not self.nullable:
            return keyset_filter([self.expr, self.id_col], [value, last_id], self.desc)
        if value is None:
            return and_(self.expr.is_(None), id_step)
        value_step = self.expr < value if self.desc else self.expr > value
        return or_(value_step, and_(self.expr == value, id_step), self.expr.is_(None))
