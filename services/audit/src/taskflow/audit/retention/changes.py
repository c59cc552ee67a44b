"""Changes of the retention policy and legal holds, recorded in the audit chain itself.

Who shortened the log, or lifted a hold, is exactly what an auditor asks first, so each change
becomes an entry of the chain (`audit.retention_changed`, `audit.legal_hold_placed`,
`audit.legal_hold_lifted`) with the actor and the state before and after.

The api's role cannot write the chain (see the initial migration), and giving it that right
would let a bug in the api forge history. Instead the api inserts the change into
`audit.admin_changes` in the same transaction as the change itself (so a change never commits
without its record), and the worker, as the chain's writer role, appends pending changes to
the chain and deletes them, in one transaction, under the chain-head lock that every append
takes. It is the transactional outbox pattern, kept inside the service because the chain is the
consumer.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from taskflow.audit.chain.append import NewEntry, append
from taskflow.audit.chain.hashing import canonical_json
from taskflow.audit.pg import driver
from taskflow.audit.retention import repository

RETENTION_CHANGED = "audit.retention_changed"
LEGAL_HOLD_PLACED = "audit.legal_hold_placed"
LEGAL_HOLD_LIFTED = "audit.legal_hold_lifted"


async def record(
    db: AsyncSession,
    *,
    type: str,
    actor_id: uuid.UUID,
    subject: str,
    before: Any,
    after: Any,
    project_id: uuid.UUID | None = None,
) -> None:
    """Record one change (in the caller's transaction) for the worker to append."""
    await repository.add_change(
        db,
        event_id=uuid.uuid4(),
        type=type,
        actor_id=actor_id,
        subject=subject,
        project_id=project_id,
        occurred_at=datetime.now(UTC),
        payload=canonical_json({"before": before, "after": after}),
    )


async def append_pending(writer: AsyncEngine, *, limit: int = 500) -> int:
    """Append recorded changes to the chain and drop them; how many were appended."""
    total = 0
    while True:
        async with writer.begin() as conn:
            pg = await driver(conn)
            rows = await repository.pending_changes(pg, limit)
            if not rows:
                return total
            await append(
                conn,
                [
                    NewEntry(
                        event_id=r[0],
                        type=r[1],
                        actor_id=r[2],
                        subject=r[3],
                        project_id=r[4],
                        occurred_at=r[5],
                        payload=r[6],
                    )
                    for r in rows
                ],
            )
            await repository.drop_changes(pg, [r[0] for r in rows])
        total += len(rows)
        if len(rows) < limit:
            return total
