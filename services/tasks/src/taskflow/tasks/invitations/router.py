"""HTTP routes of invitations: list and revoke (admins), and what a link is about (public).

Invitations are made by `POST /api/v1/projects/{project_id}/members` with an address that has
no account (see `taskflow.tasks.projects.router.add_member`).
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from taskflow.common.db import SessionDep
from taskflow.common.errors import Forbidden, NotFound, errors
from taskflow.common.pagination import Page, PageParamsDep
from taskflow.common.scopes import Scope
from taskflow.common.security import public, require_scope
from taskflow.tasks.invitations import service
from taskflow.tasks.invitations.schemas import InvitationLookup, InvitationPreview, InvitationRead
from taskflow.tasks.projects.auth import ProjectAdmin

router = APIRouter(prefix="/api/v1/projects", tags=["invitations"])


@router.post(
    "/invitations/lookup",
    dependencies=[public("the mailed one-time token is the credential")],
    response_model=InvitationPreview,
    operation_id="invitations_lookup",
    responses=errors(NotFound),
)
async def lookup_invitation(body: InvitationLookup, db: SessionDep) -> InvitationPreview:
    """What an invitation link is about (address, project, inviter), for the register page.

    Not needed to join: registering with the invited address and verifying it is enough.
    """
    preview = await service.lookup(db, body.token)
    if preview is None:
        raise NotFound(
            "The invitation does not exist, expired or was revoked.",
            code="invitation_not_found",
        )
    return preview


@router.get(
    "/{project_id}/invitations",
    dependencies=[require_scope(Scope.TASKS_READ)],
    response_model=Page[InvitationRead],
    operation_id="invitations_list",
    responses=errors(NotFound, Forbidden),
)
async def list_invitations(
    access: ProjectAdmin, db: SessionDep, page: PageParamsDep
) -> Page[InvitationRead]:
    """The project's pending, unexpired invitations (admin or owner)."""
    return await service.list_pending(db, access, page)


@router.delete(
    "/{project_id}/invitations/{invitation_id}",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    status_code=204,
    operation_id="invitations_revoke",
    responses=errors(NotFound, Forbidden),
)
async def revoke_invitation(
    invitation_id: uuid.UUID, access: ProjectAdmin, db: SessionDep
) -> Response:
    """Withdraw a pending invitation (admin or owner); it will not be honoured."""
    await service.revoke(db, access, invitation_id)
    return Response(status_code=204)
