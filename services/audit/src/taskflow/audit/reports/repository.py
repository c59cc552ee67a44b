"""SQL of the compliance report: aggregate queries on `audit.entries` for one period.

The expressions spliced into these queries are constants of this module; every value the
caller gives (the period, the event types) travels as a bind parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from taskflow.audit.pg import period
from taskflow.audit.reports.schemas import Count, Notable

#: System roles (`admin`, `auditor`): a `user.updated` whose diff touches `roles`, or an account
#: created with more than the plain `user` role.
SYSTEM_ROLE_CHANGE = (
    "(type = 'user.updated' AND payload->'changes'->'roles' IS NOT NULL)"
    " OR (type = 'user.registered'"
    " AND (payload->'roles')::jsonb ?| array['admin', 'auditor'])"
)
FAILED_LOGIN = "type = 'user.login_failed'"
NOTABLE_LIMIT = 500


class PeriodQueries:
    """The report's queries for entries with `occurred_at` in [start, end), on one connection
    (`pg`, the asyncpg driver connection of the snapshot).
    """

    def __init__(self, pg: Any, start: datetime | None, end: datetime | None) -> None:
        self.pg = pg
        self.where, self.args = period("occurred_at", start, end)
        self._of_types = f"type = ANY(${len(self.args) + 1}::text[])"

    async def _counts(self, expr: str, extra: str = "TRUE", limit: int = 1000) -> list[Count]:
        rows = await self.pg.fetch(
            f"SELECT {expr} AS k, count(*) FROM audit.entries "  # noqa: S608 - constants
            f"WHERE {self.where} AND {extra} GROUP BY k ORDER BY count(*) DESC, k LIMIT {limit}",
            *self.args,
        )
        return [Count(key=None if r[0] is None else str(r[0]), count=r[1]) for r in rows]

    async def by_type(self) -> list[Count]:
        """Entries per event type, most first."""
        return await self._counts("type")

    async def by_actor(self, limit: int) -> list[Count]:
        """Entries per actor, most first."""
        return await self._counts("actor_id", limit=limit)

    async def failed_logins_by_email(self, limit: int) -> list[Count]:
        """Failed logins per (lower-cased) address, most first."""
        return await self._counts("lower(payload->>'email')", FAILED_LOGIN, limit=limit)

    async def failed_logins_by_reason(self, limit: int) -> list[Count]:
        """Failed logins per reason, most first."""
        return await self._counts("payload->>'reason'", FAILED_LOGIN, limit=limit)

    async def _notable(self, cond: str, *extra: Any) -> tuple[int, list[Notable]]:
        """How many entries match `cond` in the period, and the first NOTABLE_LIMIT."""
        where_cond = f"{self.where} AND ({cond})"
        total = await self.pg.fetchval(
            f"SELECT count(*) FROM audit.entries WHERE {where_cond}",  # noqa: S608
            *self.args,
            *extra,
        )
        cols = "seq, event_id, type, actor_id, subject, project_id, occurred_at"
        order = f"ORDER BY seq LIMIT {NOTABLE_LIMIT}"
        query = f"SELECT {cols} FROM audit.entries WHERE {where_cond} {order}"  # noqa: S608
        rows = await self.pg.fetch(query, *self.args, *extra)
        return int(total), [Notable(**dict(r)) for r in rows]

    async def of_types_or_role_changes(self, types: Sequence[str]) -> tuple[int, list[Notable]]:
        """Entries of these types or changing a system role: how many, and the first ones."""
        return await self._notable(f"{self._of_types} OR {SYSTEM_ROLE_CHANGE}", list(types))

    async def of_types(self, types: Sequence[str]) -> tuple[int, list[Notable]]:
        """Entries of these types: how many, and the first ones."""
        return await self._notable(self._of_types, list(types))
