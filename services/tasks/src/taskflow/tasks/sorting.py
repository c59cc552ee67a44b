"""Sort orders of the lists whose user picks the order (tasks, projects).

A `SortSpec` names one order (`-due_at`) and gives `taskflow.common.pagination.keyset_page`
its keys: the sorted column, then the row id in the same direction. A nullable column such
as `due_at` keeps rows without a value last in either direction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from taskflow.common.pagination import SortKey


@dataclass(frozen=True)
class SortSpec:
    """One sort order: `expr` then the row id, both in the same direction."""

    name: str
    expr: Any  # a column or SQL expression
    id_col: Any
    desc: bool = False
    nullable: bool = False

    def keys(self) -> list[SortKey]:
        """The keyset keys: the sort column, then the id as the tie-breaker."""
        return [SortKey(self.expr, self.desc, self.nullable), SortKey(self.id_col, self.desc)]
