"""Labels: small enough that the routes call the repository-style helpers directly."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.db import SessionDep
from taskflow.common.errors import Conflict, Forbidden, NotFound, errors
from taskflow.common.idempotency import IdempotencyDep
from taskflow.common.pagination import Page, PageParamsDep, keyset_filter
from taskflow.common.scopes import Scope
from taskflow.common.security import CurrentPrincipal, require_scope
from taskflow.events.ids import uuid7
from taskflow.tasks.activity import service as activity
from taskflow.tasks.labels.models import Label
from taskflow.tasks.labels.schemas import LabelCreate, LabelRead, LabelUpdate
from taskflow.tasks.projects.auth import (
    ProjectAccess,
    ProjectMember,
    ProjectViewer,
    not_found,
    project_access,
)
from taskflow.tasks.sorting import cols
from taskflow.tasks.tasks import service as tasks_service

router = APIRouter(prefix="/api/v1", tags=["labels"])


class DuplicateLabel(Conflict):
    default_code = "duplicate_label"
    default_title = "A label with this name exists"


async def _name_taken(
    db: AsyncSession, project_id: uuid.UUID, name: str, but: uuid.UUID | None = None
) -> bool:
    stmt = select(Label.id).where(
        Label.project_id == project_id, func.lower(Label.name) == name.lower()
    )
    if but is not None:
        stmt = stmt.where(Label.id != but)
    return (await db.execute(stmt)).first() is not None


async def _label_access(
    db: AsyncSession, who: object, label_id: uuid.UUID
) -> tuple[Label, ProjectAccess]:
    label = await db.get(
        Label, label_id, with_for_update={"key_share": True}, populate_existing=True
    )
    if label is None:
        raise not_found("label")
    access = await project_access(db, who, label.project_id, "member", what="label")  # type: ignore[arg-type]
    access.require_writable()
    return label, access


@router.get(
    "/projects/{project_id}/labels",
    dependencies=[require_scope(Scope.TASKS_READ)],
    response_model=Page[LabelRead],
    operation_id="labels_list",
    responses=errors(NotFound),
)
async def list_labels(
    access: ProjectViewer, db: SessionDep, page: PageParamsDep
) -> Page[LabelRead]:
    """The labels of a project, by name."""
    stmt = select(Label).where(Label.project_id == access.project_id)
    if (after := page.after(length=2)) is not None:
        stmt = stmt.where(keyset_filter(cols([Label.name, Label.id]), after))
    rows = (
        (await db.execute(stmt.order_by(Label.name, Label.id).limit(page.limit + 1)))
        .scalars()
        .all()
    )
    result = page.page(rows, lambda lb: (lb.name, lb.id))
    return Page[LabelRead](
        items=[LabelRead.model_validate(lb) for lb in result.items], next_cursor=result.next_cursor
    )


@router.post(
    "/projects/{project_id}/labels",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    status_code=status.HTTP_201_CREATED,
    response_model=LabelRead,
    operation_id="labels_create",
    responses=errors(NotFound, Forbidden, Conflict),
)
async def create_label(
    body: LabelCreate, access: ProjectMember, db: SessionDep, idem: IdempotencyDep
) -> Response:
    """Create a label (member or higher)."""
    access.require_writable()
    if await _name_taken(db, access.project_id, body.name):
        raise DuplicateLabel(f"The label {body.name} exists.")
    label = Label(id=uuid7(), project_id=access.project_id, name=body.name, colour=body.colour)
    db.add(label)
    await db.flush()
    await db.refresh(label)
    activity.record(
        db,
        project_id=access.project_id,
        actor_id=access.user_id,
        action="label.created",
        changes={"name": {"before": None, "after": label.name}},
    )
    return await idem.respond(db, LabelRead.model_validate(label), status_code=201)


@router.patch(
    "/labels/{label_id}",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    response_model=LabelRead,
    operation_id="labels_update",
    responses=errors(NotFound, Forbidden, Conflict),
)
async def update_label(
    label_id: uuid.UUID, body: LabelUpdate, who: CurrentPrincipal, db: SessionDep
) -> LabelRead:
    """Rename or recolour a label (member or higher)."""
    label, access = await _label_access(db, who, label_id)
    fields = body.model_dump(exclude_unset=True, exclude_none=True)
    if "name" in fields and await _name_taken(db, label.project_id, fields["name"], but=label.id):
        raise DuplicateLabel(f"The label {fields['name']} exists.")
    before = {"name": label.name, "colour": label.colour}
    for k, v in fields.items():
        setattr(label, k, v)
    if changed := activity.diff(before, {"name": label.name, "colour": label.colour}):
        activity.record(
            db,
            project_id=label.project_id,
            actor_id=access.user_id,
            action="label.updated",
            changes=changed,
        )
    return LabelRead.model_validate(label)


@router.delete(
    "/labels/{label_id}",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    status_code=204,
    operation_id="labels_delete",
    responses=errors(NotFound, Forbidden, Conflict),
)
async def delete_label(label_id: uuid.UUID, who: CurrentPrincipal, db: SessionDep) -> Response:
    """Delete a label and take it off every task (member or higher)."""
    label, access = await _label_access(db, who, label_id)
    # Each task loses the label like an edit would (version, activity, `task.updated`).
    await tasks_service.strip_reference(db, access.user_id, label.project_id, label_id=label.id)
    activity.record(
        db,
        project_id=label.project_id,
        actor_id=access.user_id,
        action="label.deleted",
        changes={"name": {"before": label.name, "after": None}},
    )
    await db.delete(label)
    return Response(status_code=204)
