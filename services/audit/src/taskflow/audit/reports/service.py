"""The compliance report: a handful of aggregate queries on one snapshot."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from taskflow.audit.chain.store import head
from taskflow.audit.pg import driver
from taskflow.audit.reports.schemas import ComplianceReport, Count, Notable

ROLE_TYPES = (
    "project.member_added",
    "project.member_role_changed",
    "project.member_removed",
    "user.mfa_enabled",
)
DELETION_TYPES = (
    "project.deleted",
    "task.deleted",
    "comment.deleted",
    "user.deactivated",
    "project.archived",
)
NOTABLE_LIMIT = 500


def _where(start: datetime | None, end: datetime | None) -> tuple[str, list[Any]]:
    where, args = ["TRUE"], []
    if start is not None:
        args.append(start)
        where.append(f"occurred_at >= ${len(args)}")
    if end is not None:
        args.append(end)
        where.append(f"occurred_at < ${len(args)}")
    return " AND ".join(where), args


async def compliance(
    snapshot: AsyncEngine, start: datetime | None, end: datetime | None
) -> ComplianceReport:
    """Counts by type and actor, failed logins, role changes and deletions in a period."""
    where, args = _where(start, end)
    n = len(args)
    async with snapshot.connect() as conn:
        pg = await driver(conn)

        async def counts(expr: str, extra: str = "TRUE", limit: int = 1000) -> list[Count]:
            rows = await pg.fetch(
                f"SELECT {expr} AS k, count(*) FROM audit.entries "  # noqa: S608 - constants
                f"WHERE {where} AND {extra} GROUP BY k ORDER BY count(*) DESC, k LIMIT {limit}",
                *args,
            )
            return [Count(key=None if r[0] is None else str(r[0]), count=r[1]) for r in rows]

        async def notable(types: tuple[str, ...]) -> list[Notable]:
            cols = "seq, event_id, type, actor_id, subject, project_id, occurred_at"
            cond = f"{where} AND type = ANY(${n + 1}::text[])"
            order = f"ORDER BY seq LIMIT {NOTABLE_LIMIT}"
            query = f"SELECT {cols} FROM audit.entries WHERE {cond} {order}"  # noqa: S608
            rows = await pg.fetch(
                query,
                *args,
                list(types),
            )
            return [Notable(**dict(r)) for r in rows]

        by_type = await counts("type")
        failed = "type = 'user.login_failed'"
        top = await head(conn)
        return ComplianceReport(
            start=start,
            end=end,
            total=sum(c.count for c in by_type),
            by_type=by_type,
            by_actor=await counts("actor_id", limit=50),
            failed_logins=sum(c.count for c in by_type if c.key == "user.login_failed"),
            failed_logins_by_email=await counts("lower(payload->>'email')", failed, limit=20),
            failed_logins_by_reason=await counts("payload->>'reason'", failed, limit=20),
            role_changes=await notable(ROLE_TYPES),
            deletions=await notable(DELETION_TYPES),
            chain_head_seq=top.seq,
            chain_head_hash=top.hash,
        )
