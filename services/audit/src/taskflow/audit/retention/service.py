"""Rules of the retention policy and legal holds."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.audit.retention import changes, repository
from taskflow.audit.retention.schemas import LegalHoldRead, RetentionRead, to_read
from taskflow.common.concurrency import check_version
from taskflow.common.errors import Conflict, NotFound, Unprocessable
from taskflow.common.security import Principal


async def get_policy(db: AsyncSession, default_days: int, floor_days: int) -> RetentionRead:
    """The policy set through the api, or the settings' default (version 0)."""
    return to_read(await repository.get_policy(db), default_days, floor_days)


async def set_policy(
    db: AsyncSession,
    who: Principal,
    days: int,
    *,
    expected_version: int | None,
    default_days: int,
    floor_days: int,
) -> RetentionRead:
    """Change the retention period (If-Match honoured), never below the floor; recorded."""
    if days < floor_days:
        raise Unprocessable(
            f"The retention period cannot be shorter than {floor_days} days.",
            code="retention_below_floor",
            errors=[
                {
                    "loc": ["body", "days"],
                    "msg": f"must be at least {floor_days}",
                    "type": "greater_than_equal",
                }
            ],
        )
    row = await repository.get_policy(db, for_update=True)
    before = to_read(row, default_days, floor_days)
    check_version(before.version, expected_version)
    new = to_read(
        await repository.put_policy(db, days, before.version + 1, who.user_id),
        default_days,
        floor_days,
    )
    await changes.record(
        db,
        type=changes.RETENTION_CHANGED,
        actor_id=who.user_id,
        subject="audit/retention",
        before={"days": before.days, "source": before.source, "version": before.version},
        after={"days": new.days, "source": new.source, "version": new.version},
    )
    return new


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
    hold = LegalHoldRead.model_validate(dict(row._mapping))
    await changes.record(
        db,
        type=changes.LEGAL_HOLD_PLACED,
        actor_id=who.user_id,
        subject=f"legal_hold/{project_id}",
        project_id=project_id,
        before=None,
        after=hold.model_dump(mode="json"),
    )
    return hold


async def lift_hold(db: AsyncSession, who: Principal, project_id: uuid.UUID) -> None:
    """Let the purge take a project's old entries again (recorded with the hold lifted)."""
    row = await repository.remove_hold(db, project_id)
    if row is None:
        raise NotFound("The project is not under legal hold.", code="legal_hold_not_found")
    await changes.record(
        db,
        type=changes.LEGAL_HOLD_LIFTED,
        actor_id=who.user_id,
        subject=f"legal_hold/{project_id}",
        project_id=project_id,
        before=LegalHoldRead.model_validate(dict(row._mapping)).model_dump(mode="json"),
        after=None,
    )
