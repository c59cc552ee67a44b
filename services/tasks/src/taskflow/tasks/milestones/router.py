"""Milestones: CRUD with ETag/If-Match and progress derived from their tasks."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi import APIRouter, Response, status
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.concurrency import IfMatch, check_version, set_etag
from taskflow.common.db import SessionDep
from taskflow.common.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    Unprocessable,
    errors,
)
from taskflow.common.idempotency import IdempotencyDep
from taskflow.common.pagination import Page, PageParamsDep, keyset_filter
from taskflow.common.scopes import Scope
from taskflow.common.security import CurrentPrincipal, Principal, require_scope
from taskflow.events.ids import uuid7
from taskflow.tasks import events as ev
from taskflow.tasks.activity import service as activity
from taskflow.tasks.milestones.models import Milestone
from taskflow.tasks.milestones.schemas import MilestoneCreate, MilestoneRead, MilestoneUpdate
from taskflow.tasks.projects.auth import (
    ProjectAccess,
    ProjectMember,
    ProjectViewer,
    not_found,
    project_access,
)
from taskflow.tasks.sorting import cols
from taskflow.tasks.tasks import service as tasks_service
from taskflow.tasks.tasks.models import Task

router = APIRouter(prefix="/api/v1", tags=["milestones"])
FIELDS = ("title", "description", "due_date", "state")


async def _progress(db: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[int, int]]:
    if not ids:
        return {}
    rows = await db.execute(
        select(
            Task.milestone_id,
            func.count().filter(Task.status_category != "cancelled"),
            func.count().filter(Task.status_category == "done"),
        )
        .where(Task.milestone_id.in_(ids), Task.deleted_at.is_(None))
        .group_by(Task.milestone_id)
    )
    return {mid: (int(total), int(done)) for mid, total, done in rows.all() if mid is not None}


def _read(m: Milestone, counts: tuple[int, int]) -> MilestoneRead:
    total, done = counts
    return MilestoneRead(
        id=m.id,
        project_id=m.project_id,
        title=m.title,
        description=m.description,
        due_date=m.due_date,
        state=m.state,
        progress=(done * 100 // total) if total else 0,
        tasks_total=total,
        tasks_done=done,
        version=m.version,
        created_at=m.created_at,
        updated_at=m.updated_at,
    )


async def _access(
    db: AsyncSession, who: Principal, milestone_id: uuid.UUID, role: str, *, lock: bool
) -> tuple[Milestone, ProjectAccess]:
    stmt = select(Milestone).where(Milestone.id == milestone_id)
    if lock:
        stmt = stmt.with_for_update(key_share=True).execution_options(populate_existing=True)
    m = (await db.execute(stmt)).scalar_one_or_none()
    if m is None:
        raise not_found("milestone")
    access = await project_access(db, who, m.project_id, role, what="milestone")
    return m, access


@router.get(
    "/projects/{project_id}/milestones",
    dependencies=[require_scope(Scope.TASKS_READ)],
    response_model=Page[MilestoneRead],
    operation_id="milestones_list",
    responses=errors(NotFound),
)
async def list_milestones(
    access: ProjectViewer, db: SessionDep, page: PageParamsDep
) -> Page[MilestoneRead]:
    """The milestones of a project, in creation order."""
    stmt = select(Milestone).where(Milestone.project_id == access.project_id)
    if (after := page.after(length=1)) is not None:
        stmt = stmt.where(keyset_filter(cols([Milestone.id]), after))
    rows = (await db.execute(stmt.order_by(Milestone.id).limit(page.limit + 1))).scalars().all()
    result = page.page(rows, lambda m: (m.id,))
    counts = await _progress(db, [m.id for m in result.items])
    return Page[MilestoneRead](
        items=[_read(m, counts.get(m.id, (0, 0))) for m in result.items],
        next_cursor=result.next_cursor,
    )


@router.post(
    "/projects/{project_id}/milestones",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    status_code=status.HTTP_201_CREATED,
    response_model=MilestoneRead,
    operation_id="milestones_create",
    responses=errors(NotFound, Forbidden, Conflict),
)
async def create_milestone(
    body: MilestoneCreate, access: ProjectMember, db: SessionDep, idem: IdempotencyDep
) -> Response:
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
    return await idem.respond(
        db, _read(m, (0, 0)), status_code=201, headers={"ETag": f'"{m.version}"'}
    )


@router.get(
    "/milestones/{milestone_id}",
    dependencies=[require_scope(Scope.TASKS_READ)],
    response_model=MilestoneRead,
    operation_id="milestones_get",
    responses=errors(NotFound),
)
async def get_milestone(
    milestone_id: uuid.UUID, who: CurrentPrincipal, db: SessionDep, response: Response
) -> MilestoneRead:
    """One milestone with its progress."""
    m, _ = await _access(db, who, milestone_id, "viewer", lock=False)
    set_etag(response, m.version)
    return _read(m, (await _progress(db, [m.id])).get(m.id, (0, 0)))


@router.patch(
    "/milestones/{milestone_id}",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    response_model=MilestoneRead,
    operation_id="milestones_update",
    responses=errors(NotFound, Forbidden, PreconditionFailed, Conflict),
)
async def update_milestone(
    milestone_id: uuid.UUID,
    body: MilestoneUpdate,
    who: CurrentPrincipal,
    db: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> MilestoneRead:
    """Change a milestone (member or higher)."""
    m, access = await _access(db, who, milestone_id, "member", lock=True)
    access.require_writable()
    check_version(m, if_match)
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
    set_etag(response, m.version)
    return _read(m, (await _progress(db, [m.id])).get(m.id, (0, 0)))


@router.delete(
    "/milestones/{milestone_id}",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    status_code=204,
    operation_id="milestones_delete",
    responses=errors(NotFound, Forbidden, PreconditionFailed, Conflict),
)
async def delete_milestone(
    milestone_id: uuid.UUID, who: CurrentPrincipal, db: SessionDep, if_match: IfMatch = None
) -> Response:
    """Delete a milestone; its tasks stay, without a milestone (member or higher)."""
    m, access = await _access(db, who, milestone_id, "member", lock=True)
    access.require_writable()
    check_version(m, if_match)
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
    return Response(status_code=204)
