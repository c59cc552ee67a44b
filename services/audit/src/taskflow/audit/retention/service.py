"""Rules of the retention policy and legal holds."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.audit.retention import repository
from taskflow.audit.retention.schemas import LegalHoldRead, RetentionRead
from taskflow.common.concurrency import check_version
from taskflow.common.errors import Conflict, NotFound
from taskflow.common.security import Principal


async def get_policy(db: AsyncSession, default_days: int) -> RetentionRead:
    """The policy set through the api, or the settings' default (version 0)."""
    row = await repository.get_policy(db)
    if row is None:
        return RetentionRead(
            days=default_days, source="default", version=0, updated_at=None, updated_by=None
        )
    return RetentionRead(
        days=row.days,
        source="policy",
        version=row.version,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


async def set_policy(
    db: AsyncSession, who: Principal, days: int, *, expected_version: int | None
) -> RetentionRead:
    """Change the retention period (optimistic concurrency on `version`)."""
    row = await repository.get_policy(db, for_update=True)
    current = 0 if row is None else int(row.version)
    check_version(current, expected_version)
    new = await repository.put_policy(db, days, current + 1, who.user_id)
    return RetentionRead(
        days=new.days,
        source="policy",
        version=new.version,
        updated_at=new.updated_at,
        updated_by=new.updated_by,
    )


async def list_holds(db: AsyncSession) -> list[LegalHoldRead]:
    """Every project under legal hold."""
    return [LegalHoldRead.model_validate(dict(r._mapping)) for r in await repository.list_holds(db)]


async def place_hold(
    db: AsyncSession, who: Principal, project_id: uuid.UUID, reason: str | None
) -> LegalHoldRead:
    """Keep a project's entries from the purge until the hold is lifted."""
    row = await repository.add_hold(db, project_id, reason, who.user_id)
    if row is None:
        raise Conflict("The project is already under legal hold.", code="legal_hold_exists")
    return LegalHoldRead.model_validate(dict(row._mapping))


async def lift_hold(db: AsyncSession, project_id: uuid.UUID) -> None:
    """Let the purge take a project's old entries again."""
    if not await repository.remove_hold(db, project_id):
        raise NotFound("The project is not under legal hold.", code="legal_hold_not_found")
