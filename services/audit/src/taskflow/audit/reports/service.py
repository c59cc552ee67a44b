"""The compliance report: a handful of aggregate queries on one snapshot."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from taskflow.audit.chain.store import head
from taskflow.audit.pg import driver
from taskflow.audit.reports.repository import PeriodQueries
from taskflow.audit.reports.schemas import ComplianceReport

#: Project membership and project roles, and invitations of addresses without an account
#: (their acceptance shows as the `project.member_added` that follows it).
MEMBERSHIP_TYPES = (
    "project.member_added",
    "project.member_role_changed",
    "project.member_removed",
    "project.invitation_created",
    "project.invitation_revoked",
)
#: Deletions, and deactivation of an account (a user's "deletion"); archiving is not one.
DELETION_TYPES = ("project.deleted", "task.deleted", "comment.deleted", "user.deactivated")


async def compliance(
    snapshot: AsyncEngine, start: datetime | None, end: datetime | None
) -> ComplianceReport:
    """Counts by type and actor, failed logins, role and membership changes, deletions.

    The period selects `occurred_at` (`from` inclusive, `to` exclusive). The lists of
    notable entries are capped at NOTABLE_LIMIT; their `*_total` says how many there were.
    """
    async with snapshot.connect() as conn:
        q = PeriodQueries(await driver(conn), start, end)
        role_total, role_changes = await q.of_types_or_role_changes(MEMBERSHIP_TYPES)
        deletion_total, deletions = await q.of_types(DELETION_TYPES)
        by_type = await q.by_type()
        top = await head(conn)
        return ComplianceReport(
            start=start,
            end=end,
            total=sum(c.count for c in by_type),
            by_type=by_type,
            by_actor=await q.by_actor(limit=50),
            failed_logins=sum(c.count for c in by_type if c.key == "user.login_failed"),
            failed_logins_by_email=await q.failed_logins_by_email(limit=20),
            failed_logins_by_reason=await q.failed_logins_by_reason(limit=20),
            role_changes_total=role_total,
            role_changes=role_changes,
            deletions_total=deletion_total,
            deletions=deletions,
            chain_head_seq=top.seq,
            chain_head_hash=top.hash,
        )
