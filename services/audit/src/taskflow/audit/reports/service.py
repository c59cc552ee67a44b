"""The compliance report: a handful of aggregate queries on one snapshot."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from taskflow.audit.chain.store import head
from taskflow.audit.pg import driver
from taskflow.audit.reports.schemas import ComplianceReport, Count, Notable

#: Project membership and project roles, and invitations of addresses without an account
#: (their acceptance shows as the `project.member_added` that follows it).
MEMBERSHIP_TYPES = (
    "project.member_added",
    "project.member_role_changed",
    "project.member_removed",
    "project.invitation_created",
    "project.invitation_revoked",
)
#: System roles (`admin`, `auditor`): a `user.updated` whose diff touches `roles`, or an account
#: created with more than the plain `user` role.
SYSTEM_ROLE_CHANGE = (
    "(type = 'user.updated' AND payload->'changes'->'roles' IS NOT NULL)"
    " OR (type = 'user.registered'"
    " AND (payload->'roles')::jsonb ?| array['admin', 'auditor'])"
)
#: Deletions, and deactivation of an account (a user's "deletion"); archiving is not one.
DELETION_TYPES = ("project.deleted", "task.deleted", "comment.deleted", "user.deactivated")
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
    """Counts by type and actor, failed logins, role and membership changes, deletions.

    The period selects `occurred_at` (`from` inclusive, `to` exclusive). The lists of
    notable entries are capped at NOTABLE_LIMIT; their `*_total` says how many there were.
    """
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

        async def notable(cond: str, *extra: Any) -> tuple[int, list[Notable]]:
            """How many entries match `cond` in the period, and the first NOTABLE_LIMIT."""
            where_cond = f"{where} AND ({cond})"
            total = await pg.fetchval(
                f"SELECT count(*) FROM audit.entries WHERE {where_cond}",  # noqa: S608
                *args,
                *extra,
            )
            cols = "seq, event_id, type, actor_id, subject, project_id, occurred_at"
            order = f"ORDER BY seq LIMIT {NOTABLE_LIMIT}"
            query = f"SELECT {cols} FROM audit.entries WHERE {where_cond} {order}"  # noqa: S608
            rows = await pg.fetch(query, *args, *extra)
            return int(total), [Notable(**dict(r)) for r in rows]

        membership = f"type = ANY(${n + 1}::text[])"
        role_total, role_changes = await notable(
            f"{membership} OR {SYSTEM_ROLE_CHANGE}", list(MEMBERSHIP_TYPES)
        )
        deletion_total, deletions = await notable(membership, list(DELETION_TYPES))
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
            role_changes_total=role_total,
            role_changes=role_changes,
            deletions_total=deletion_total,
            deletions=deletions,
            chain_head_seq=top.seq,
            chain_head_hash=top.hash,
        )
