"""Rules of milestones: who may change them, versions, progress from their tasks, and a deleted
milestone taken off every task.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.concurrency import check_version
from taskflow.common.errors import Unprocessable
from taskflow.common.pagination import Page, PageParams
from taskflow.common.security import Principal
from taskflow.events.ids import uuid7
from taskflow.tasks import domain_events as ev
from taskflow.tasks.activity import service as activity
from taskflow.tasks.milestones import repository
from taskflow.tasks.milestones.models import Milestone
from taskflow.tasks.milestones.schemas import (
    MilestoneCreate,
    MilestoneRead,
    MilestoneUpdate,
    to_read,
)
from taskflow.tasks.projects.auth import ProjectAccess, not_found, project_access
from taskflow.tasks.tasks import service as tasks_service

FIELDS = ("title", "description", "due_date", "state")


async def _access(
    db: AsyncSession, who: Principal, milestone_id: uuid.UUID, role: str, *, lock: bool
) -> tuple[Milestone, ProjectAccess]:
    m = await repository.get(db, milestone_id, lock=lock)
    if m is None:
        raise not_found("milestone")
    access = await project_access(db, who, m.project_id, role, what="milestone")
    return m, access


async def list_for_project(
    db: AsyncSession, access: ProjectAccess, page: PageParams
) -> Page[MilestoneRead]:
    """The milestones of a project, in creation order."""
    result = await repository.page_of_project(db, access.project_id, page)
    counts = await repository.progress(db, [m.id for m in result.items])
    return Page[MilestoneRead](
        items=[to_read(m, counts.get(m.id, (0, 0))) for m in result.items],
        next_cursor=result.next_cursor,
    )


async def create(db: AsyncSession, access: ProjectAccess, body: MilestoneCreate) -> MilestoneRead:
    """Create a milestone (member or higher)."""
    access.require_writable()
    ts = datetime.now(UTC)
    m = Milestone(
        id=uuid7(),
        project_id=access.project_id,
        title=body.title,
        description=body.description,
        due_date=body.due_date,
        state=body.state,
        version=1,
        created_at=ts,
        updated_at=ts,
    )
    db.add(m)
    await db.flush()
    activity.record(
        db,
        project_id=m.project_id,
        actor_id=access.user_id,
        action="milestone.created",
        changes=activity.diff({}, {f: getattr(m, f) for f in FIELDS}),
    )
    await ev.emit(db, ev.milestone_created(m), access.user_id)
    return to_read(m, (0, 0))


async def get(db: AsyncSession, who: Principal, milestone_id: uuid.UUID) -> MilestoneRead:
    """One milestone with its progress."""
    m, _ = await _access(db, who, milestone_id, "viewer", lock=False)
    return to_read(m, (await repository.progress(db, [m.id])).get(m.id, (0, 0)))


async def update(
    db: AsyncSession,
    who: Principal,
    milestone_id: uuid.UUID,
    body: MilestoneUpdate,
    expected: int | None,
) -> MilestoneRead:
    """Change a milestone (member or higher); 412 when `expected` is not the current version."""
    m, access = await _access(db, who, milestone_id, "member", lock=True)
    access.require_writable()
    check_version(m, expected)
    fields = body.model_dump(exclude_unset=True)
    for name in ("title", "description", "state"):
        if name in fields and fields[name] is None:
            raise Unprocessable(
                f"{name} cannot be null.",
                errors=[{"loc": ["body", name], "msg": "may not be null", "type": "null"}],
            )
    before = {f: getattr(m, f) for f in FIELDS}
    for k, v in fields.items():
        setattr(m, k, v)
    if changed := activity.diff(before, {f: getattr(m, f) for f in FIELDS}):
        m.version += 1
        m.updated_at = datetime.now(UTC)
        activity.record(
            db,
            project_id=m.project_id,
            actor_id=access.user_id,
            action="milestone.updated",
            changes=changed,
        )
        await ev.emit(db, ev.milestone_updated(m, changed), access.user_id)
    return to_read(m, (await repository.progress(db, [m.id])).get(m.id, (0, 0)))


async def delete(
    db: AsyncSession, who: Principal, milestone_id: uuid.UUID, expected: int | None
) -> None:
    """Delete a milestone; its tasks stay, without a milestone (member or higher)."""
    m, access = await _access(db, who, milestone_id, "member", lock=True)
    access.require_writable()
    check_version(m, expected)
    # Its tasks lose the milestone like an edit would (version, activity, `task.updated`).
    await tasks_service.strip_reference(db, access.user_id, m.project_id, milestone_id=m.id)
    activity.record(
        db,
        project_id=m.project_id,
        actor_id=access.user_id,
        action="milestone.deleted",
        changes={"title": {"before": m.title, "after": None}},
    )
    # There is no `milestone.deleted` contract: the deletion travels as `milestone.updated`
    # whose `state` becomes "deleted" (the last version of the milestone).
    m.version += 1
    await ev.emit(
        db,
        ev.milestone_updated(m, {"state": {"before": m.state, "after": "deleted"}}),
        access.user_id,
    )
    await db.delete(m)
