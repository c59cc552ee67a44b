"""Project roles, checked on every request.

A user who is not a member of a project gets 404 for everything in it (never 403), so ids of
other teams' projects do not leak; a member whose role is too low gets 403. The system role
`admin` does not bypass membership: platform admins manage accounts, not other teams' work,
and an operations bank customer expects exactly that separation (an admin who needs access is
added to the project, which leaves an event and an activity row).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.db import SessionDep
from taskflow.common.errors import Forbidden, NotFound
from taskflow.common.security import CurrentPrincipal, Principal
from taskflow.tasks.projects import repository
from taskflow.tasks.projects.errors import ProjectArchived

ROLE_RANK = {"viewer": 0, "member": 1, "admin": 2, "owner": 3}


@dataclass(frozen=True, slots=True)
class ProjectAccess:
    """The caller, the project and the caller's role in it."""

    principal: Principal
    project_id: uuid.UUID
    role: str
    archived: bool = False
    deleted: bool = False

    @property
    def user_id(self) -> uuid.UUID:
        return self.principal.user_id

    def at_least(self, role: str) -> bool:
        """True when the caller's role is `role` or higher."""
        return ROLE_RANK[self.role] >= ROLE_RANK[role]

    def require(self, role: str) -> None:
        """403 when the caller's role is below `role` (the caller is a member)."""
        if not self.at_least(role):
            raise Forbidden(f"This needs the project role {role} or higher.", code="role_required")

    def require_writable(self) -> None:
        """409 while the project is archived."""
        if self.archived:
            raise ProjectArchived("Unarchive the project to change it.")


def not_found(what: str = "project") -> NotFound:
    """The one 404 of a resource the caller may not see or that does not exist."""
    return NotFound(f"The {what} does not exist.", code=f"{what}_not_found")


async def project_access(
    db: AsyncSession,
    principal: Principal,
    project_id: uuid.UUID,
    min_role: str,
    *,
    what: str = "project",
    allow_deleted: bool = False,
) -> ProjectAccess:
    """The caller's access to a project; 404 for non-members, 403 for a role too low."""
    row = await repository.membership(db, project_id, principal.user_id)
    if row is None or (row.deleted_at is not None and not allow_deleted):
        raise not_found(what)
    access = ProjectAccess(
        principal=principal,
        project_id=project_id,
        role=row.role,
        archived=row.archived_at is not None,
        deleted=row.deleted_at is not None,
    )
    access.require(min_role)
    return access


def require_project_role(
    min_role: str, *, allow_deleted: bool = False
) -> Callable[..., Awaitable[ProjectAccess]]:
    """Dependency on a `{project_id}` route: the caller must hold `min_role` or higher."""

    async def dependency(
        project_id: uuid.UUID, principal: CurrentPrincipal, db: SessionDep
    ) -> ProjectAccess:
        return await project_access(
            db, principal, project_id, min_role, allow_deleted=allow_deleted
        )

    return dependency


ProjectViewer = Annotated[ProjectAccess, Depends(require_project_role("viewer"))]
ProjectMember = Annotated[ProjectAccess, Depends(require_project_role("member"))]
ProjectAdmin = Annotated[ProjectAccess, Depends(require_project_role("admin"))]
ProjectOwner = Annotated[ProjectAccess, Depends(require_project_role("owner"))]
ProjectOwnerOfDeleted = Annotated[
    ProjectAccess, Depends(require_project_role("owner", allow_deleted=True))
]
