"""HTTP routes of projects and members."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import JSONResponse

from taskflow.common.concurrency import IfMatch, set_etag
from taskflow.common.db import ReadSessionDep, SessionDep
from taskflow.common.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    ServiceUnavailable,
    Unprocessable,
    errors,
)
from taskflow.common.idempotency import IdempotencyDep
from taskflow.common.pagination import Page, PageParamsDep
from taskflow.common.scopes import Scope
from taskflow.common.security import CurrentPrincipal, bearer_token, require_scope
from taskflow.tasks.config import Settings
from taskflow.tasks.invitations import service as invitations
from taskflow.tasks.projects import service
from taskflow.tasks.projects.auth import (
    ProjectAdmin,
    ProjectOwner,
    ProjectOwnerOfDeleted,
    ProjectViewer,
)
from taskflow.tasks.projects.schemas import (
    MemberAdd,
    MemberAddAccepted,
    MemberRead,
    MemberUpdate,
    ProjectCreate,
    ProjectHealth,
    ProjectRead,
    ProjectSort,
    ProjectStatus,
    ProjectUpdate,
)
from taskflow.tasks.users import service as users
from taskflow.tasks.users.client import Directory

router = APIRouter(prefix="/api/v1/projects", tags=["projects"])
WRITE_ERRORS = (NotFound, Forbidden, PreconditionFailed, Conflict)


@router.post(
    "",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    status_code=status.HTTP_201_CREATED,
    response_model=ProjectRead,
    operation_id="projects_create",
    responses=errors(Conflict, Unprocessable),
)
async def create_project(
    body: ProjectCreate, who: CurrentPrincipal, db: SessionDep, idem: IdempotencyDep
) -> Response:
    """Create a project; the caller becomes its owner.

    With `template_project_id` (a project the caller can see) the new project starts with a
    copy of its workflow, labels and milestones, and with `include_tasks` of its live tasks.
    """
    project = await service.create(db, who, body)
    return await idem.respond(
        db,
        project,
        status_code=201,
        headers={"Location": f"/api/v1/projects/{project.id}", "ETag": f'"{project.version}"'},
    )


@router.get(
    "",
    dependencies=[require_scope(Scope.TASKS_READ)],
    response_model=Page[ProjectRead],
    operation_id="projects_list",
)
async def list_projects(
    who: CurrentPrincipal,
    db: ReadSessionDep,
    page: PageParamsDep,
    status_: Annotated[list[ProjectStatus] | None, Query(alias="status")] = None,
    health: Annotated[list[ProjectHealth] | None, Query()] = None,
    archived: bool | None = False,
    q: Annotated[str | None, Query(max_length=200)] = None,
    sort: ProjectSort = "name",
    trashed: Annotated[
        bool,
        Query(
            description="List the projects in the trash that the caller owns (and may restore) "
            "instead of the live ones, archived or not (`archived` is then ignored)."
        ),
    ] = False,
) -> Page[ProjectRead]:
    """The projects the caller is a member of, filtered and sorted."""
    return await service.list_for_user(
        db,
        who.user_id,
        status=status_,
        health=health,
        archived=archived,
        q=q,
        trashed=trashed,
        sort=sort,
        page=page,
    )


@router.get(
    "/{project_id}",
    dependencies=[require_scope(Scope.TASKS_READ)],
    response_model=ProjectRead,
    operation_id="projects_get",
    responses=errors(NotFound),
)
async def get_project(access: ProjectViewer, db: SessionDep, response: Response) -> ProjectRead:
    """One project."""
    project = await service.get(db, access)
    set_etag(response, project.version)
    return project


@router.patch(
    "/{project_id}",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    response_model=ProjectRead,
    operation_id="projects_update",
    responses=errors(*WRITE_ERRORS),
)
async def update_project(
    body: ProjectUpdate,
    access: ProjectAdmin,
    db: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> ProjectRead:
    """Change a project (admin or owner)."""
    project = await service.update(db, access, body, if_match)
    set_etag(response, project.version)
    return project


@router.delete(
    "/{project_id}",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    status_code=204,
    operation_id="projects_delete",
    responses=errors(*WRITE_ERRORS),
)
async def delete_project(
    access: ProjectOwner, db: SessionDep, if_match: IfMatch = None
) -> Response:
    """Move a project to the trash (owner)."""
    await service.delete(db, access, if_match)
    return Response(status_code=204)


@router.post(
    "/{project_id}/archive",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    response_model=ProjectRead,
    operation_id="projects_archive",
    responses=errors(*WRITE_ERRORS),
)
async def archive_project(
    access: ProjectAdmin, db: SessionDep, response: Response, if_match: IfMatch = None
) -> ProjectRead:
    """Make a project read-only (admin or owner)."""
    project = await service.set_archived(db, access, True, if_match)
    set_etag(response, project.version)
    return project


@router.post(
    "/{project_id}/unarchive",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    response_model=ProjectRead,
    operation_id="projects_unarchive",
    responses=errors(*WRITE_ERRORS),
)
async def unarchive_project(
    access: ProjectAdmin, db: SessionDep, response: Response, if_match: IfMatch = None
) -> ProjectRead:
    """Make an archived project writable again (admin or owner)."""
    project = await service.set_archived(db, access, False, if_match)
    set_etag(response, project.version)
    return project


@router.post(
    "/{project_id}/restore",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    response_model=ProjectRead,
    operation_id="projects_restore",
    responses=errors(NotFound, Forbidden),
)
async def restore_project(access: ProjectOwnerOfDeleted, db: SessionDep) -> ProjectRead:
    """Bring a deleted project back from the trash (owner)."""
    return await service.restore(db, access)


# --- members -------------------------------------------------------------------------------


@router.get(
    "/{project_id}/members",
    dependencies=[require_scope(Scope.TASKS_READ)],
    response_model=Page[MemberRead],
    operation_id="members_list",
    tags=["members"],
    responses=errors(NotFound),
)
async def list_members(
    access: ProjectViewer, db: SessionDep, page: PageParamsDep
) -> Page[MemberRead]:
    """The project's members with their names (for pickers)."""
    return await service.list_members(db, access.project_id, page)


@router.post(
    "/{project_id}/members",
    dependencies=[require_scope(Scope.TASKS_WRITE, Scope.ACCOUNT_READ)],
    status_code=201,
    response_model=MemberRead,
    operation_id="members_add",
    tags=["members"],
    responses={
        202: {
            "model": MemberAddAccepted,
            "description": "Added by an address the caller may not see, or invited when the"
            " address has no account: the same answer either way.",
        },
        **errors(NotFound, Forbidden, Conflict, ServiceUnavailable, Unprocessable),
    },
)
async def add_member(
    body: MemberAdd,
    access: ProjectAdmin,
    db: SessionDep,
    request: Request,
    directory: Directory,
) -> Any:
    """Add a user by id or email (admin or owner).

    By email, the answer tells nothing about an address the caller may not see (one of
    someone who shares no project with them): with or without an account it is a 202 with the
    same body. The account, if any, is added; an address without one is invited (a mail with
    a link to register; it joins with `role` once registered and verified). An address the
    caller may see answers 201 with the member, as adding by id does.
    """
    token = bearer_token(request)
    if body.email is not None:
        user = await users.by_email(db, body.email)
        if user is None:
            # Auth answers only what the caller may see: co-members' addresses (and every
            # address for an admin), which is also what makes the answer below a 201.
            remote = await directory.by_email(body.email, token)
            user = await users.remember(db, remote) if remote is not None else None
        if user is None or not await service.may_see(db, access, user):
            settings: Settings = request.app.state.settings
            await invitations.add_or_invite(db, access, user, body.email, body.role, settings)
            return JSONResponse(
                status_code=status.HTTP_202_ACCEPTED, content=MemberAddAccepted().model_dump()
            )
        return await service.add_member(db, access, user, body.role)
    assert body.user_id is not None
    user = await users.get(db, body.user_id)
    if user is None:
        remote = await directory.by_id(body.user_id, token)
        user = await users.remember(db, remote) if remote is not None else None
    if user is None or not user.is_active:
        raise Unprocessable(
            "No such user.",
            code="unknown_user",
            errors=[{"loc": ["body", "user_id"], "msg": "no such user", "type": "unknown_user"}],
        )
    return await service.add_member(db, access, user, body.role)


@router.patch(
    "/{project_id}/members/{user_id}",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    response_model=MemberRead,
    operation_id="members_update",
    tags=["members"],
    responses=errors(NotFound, Forbidden, Conflict),
)
async def change_member(
    user_id: uuid.UUID, body: MemberUpdate, access: ProjectAdmin, db: SessionDep
) -> MemberRead:
    """Change a member's role (admin or owner; owners only by an owner)."""
    return await service.change_role(db, access, user_id, body.role)


@router.delete(
    "/{project_id}/members/{user_id}",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    status_code=204,
    operation_id="members_remove",
    tags=["members"],
    responses=errors(NotFound, Forbidden, Conflict),
)
async def remove_member(user_id: uuid.UUID, access: ProjectViewer, db: SessionDep) -> Response:
    """Remove a member (admin or owner), or leave the project yourself."""
    await service.remove_member(db, access, user_id)
    return Response(status_code=204)
