"""Labels: small enough that the routes call the repository-style helpers directly."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from taskflow.common.db import SessionDep
from taskflow.common.errors import Conflict, Forbidden, NotFound, errors
from taskflow.common.idempotency import IdempotencyDep
from taskflow.common.pagination import Page, PageParamsDep
from taskflow.common.scopes import Scope
from taskflow.common.security import CurrentPrincipal, require_scope
from taskflow.tasks.labels import service
from taskflow.tasks.labels.schemas import LabelCreate, LabelRead, LabelUpdate
from taskflow.tasks.projects.auth import ProjectMember, ProjectViewer

router = APIRouter(prefix="/api/v1", tags=["labels"])


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
    return await service.list_for_project(db, access, page)


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
    read = await service.create(db, access, body)
    return await idem.respond(db, read, status_code=201)


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
    return await service.update(db, who, label_id, body)


@router.delete(
    "/labels/{label_id}",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    status_code=204,
    operation_id="labels_delete",
    responses=errors(NotFound, Forbidden, Conflict),
)
async def delete_label(label_id: uuid.UUID, who: CurrentPrincipal, db: SessionDep) -> Response:
    """Delete a label and take it off every task (member or higher)."""
    await service.delete(db, who, label_id)
    return Response(status_code=204)
