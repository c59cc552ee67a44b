"""Milestones: CRUD with ETag/If-Match and progress derived from their tasks."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from taskflow.common.concurrency import IfMatch, set_etag
from taskflow.common.db import SessionDep
from taskflow.common.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    errors,
)
from taskflow.common.idempotency import IdempotencyDep
from taskflow.common.pagination import Page, PageParamsDep
from taskflow.common.scopes import Scope
from taskflow.common.security import CurrentPrincipal, require_scope
from taskflow.tasks.milestones import service
from taskflow.tasks.milestones.schemas import MilestoneCreate, MilestoneRead, MilestoneUpdate
from taskflow.tasks.projects.auth import ProjectMember, ProjectViewer

router = APIRouter(prefix="/api/v1", tags=["milestones"])


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
    return await service.list_for_project(db, access, page)


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
    read = await service.create(db, access, body)
    return await idem.respond(db, read, status_code=201, headers={"ETag": f'"{read.version}"'})


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
    read = await service.get(db, who, milestone_id)
    set_etag(response, read.version)
    return read


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
    read = await service.update(db, who, milestone_id, body, if_match)
    set_etag(response, read.version)
    return read


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
    await service.delete(db, who, milestone_id, if_match)
    return Response(status_code=204)
