"""Authorization of routes addressed by task id: the caller's role in the task's project."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.db import ReadSessionDep, SessionDep
from taskflow.common.security import CurrentPrincipal, Principal
from taskflow.tasks.projects.auth import ProjectAccess, not_found
from taskflow.tasks.tasks import repository


async def task_access(
    db: AsyncSession,
    principal: Principal,
    task_id: uuid.UUID,
    min_role: str,
    *,
    deleted: bool | None = False,
) -> ProjectAccess:
    """The caller's access to the task's project; 404 when the caller may not see the task.

    `deleted`: False = the task must be live, True = it must be in the trash, None = either.
    """
    row = await repository.access_row(db, task_id, principal.user_id)
    if row is None:
        raise not_found("task")
    if (deleted is False and row.deleted_at is not None) or (
        deleted is True and row.deleted_at is None
    ):
        raise not_found("task")
    access = ProjectAccess(
        principal=principal,
        project_id=row.project_id,
        role=row.role,
        archived=row.archived_at is not None,
    )
    access.require(min_role)
    return access


def require_task_role(
    min_role: str, *, deleted: bool | None = False
) -> Callable[..., Awaitable[ProjectAccess]]:
    """Dependency on a `{task_id}` route."""

    async def dependency(
        task_id: uuid.UUID, principal: CurrentPrincipal, db: SessionDep
    ) -> ProjectAccess:
        return await task_access(db, principal, task_id, min_role, deleted=deleted)

    return dependency


async def _task_reader(
    task_id: uuid.UUID, principal: CurrentPrincipal, db: ReadSessionDep
) -> ProjectAccess:
    return await task_access(db, principal, task_id, "viewer")


TaskViewer = Annotated[ProjectAccess, Depends(require_task_role("viewer"))]
#: A viewer's access checked in the request's read session (`db.reads`): for a route that
#: only reads and takes `ReadSessionDep`, so that the request holds one connection, not two.
TaskReader = Annotated[ProjectAccess, Depends(_task_reader)]
TaskWriter = Annotated[ProjectAccess, Depends(require_task_role("member"))]
TrashedTaskWriter = Annotated[ProjectAccess, Depends(require_task_role("member", deleted=True))]
