"""HTTP routes of comments."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from taskflow.common.concurrency import IfMatch, set_etag
from taskflow.common.db import SessionDep
from taskflow.common.errors import Conflict, Forbidden, NotFound, PreconditionFailed, errors
from taskflow.common.idempotency import IdempotencyDep
from taskflow.common.pagination import Page, PageParamsDep
from taskflow.common.scopes import Scope
from taskflow.common.security import CurrentPrincipal, require_scope
from taskflow.tasks.comments import service
from taskflow.tasks.comments.schemas import CommentCreate, CommentRead, CommentUpdate
from taskflow.tasks.tasks.auth import TaskViewer, TaskWriter

router = APIRouter(prefix="/api/v1", tags=["comments"])


@router.get(
    "/tasks/{task_id}/comments",
    dependencies=[require_scope(Scope.TASKS_READ)],
    response_model=Page[CommentRead],
    operation_id="comments_list",
    responses=errors(NotFound),
)
async def list_comments(
    task_id: uuid.UUID, access: TaskViewer, db: SessionDep, page: PageParamsDep
) -> Page[CommentRead]:
    """The comments of a task, oldest first."""
    return await service.list_for_task(db, task_id, page)


@router.post(
    "/tasks/{task_id}/comments",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    status_code=status.HTTP_201_CREATED,
    response_model=CommentRead,
    operation_id="comments_create",
    responses=errors(NotFound, Forbidden, Conflict),
)
async def add_comment(
    task_id: uuid.UUID,
    body: CommentCreate,
    access: TaskWriter,
    db: SessionDep,
    idem: IdempotencyDep,
) -> Response:
    """Comment on a task (member or higher); @mentions of members are resolved."""
    comment = await service.add(db, access, task_id, body.body)
    return await idem.respond(
        db, comment, status_code=201, headers={"ETag": f'"{comment.version}"'}
    )


@router.patch(
    "/comments/{comment_id}",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    response_model=CommentRead,
    operation_id="comments_update",
    responses=errors(NotFound, Forbidden, PreconditionFailed, Conflict),
)
async def edit_comment(
    comment_id: uuid.UUID,
    body: CommentUpdate,
    who: CurrentPrincipal,
    db: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> CommentRead:
    """Edit your own comment."""
    comment = await service.edit(db, who, comment_id, body.body, if_match)
    set_etag(response, comment.version)
    return comment


@router.delete(
    "/comments/{comment_id}",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    status_code=204,
    operation_id="comments_delete",
    responses=errors(NotFound, Forbidden, PreconditionFailed, Conflict),
)
async def delete_comment(
    comment_id: uuid.UUID, who: CurrentPrincipal, db: SessionDep, if_match: IfMatch = None
) -> Response:
    """Delete your own comment, or any comment as a project admin."""
    await service.delete(db, who, comment_id, if_match)
    return Response(status_code=204)
