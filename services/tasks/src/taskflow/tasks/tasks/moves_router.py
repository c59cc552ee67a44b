"""HTTP routes that move and copy tasks, and the address of a task by its key (`OPS-12`)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Response, status

from taskflow.common.concurrency import IfMatch, set_etag
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
from taskflow.common.scopes import Scope
from taskflow.common.security import CurrentPrincipal, require_scope
from taskflow.tasks.projects.auth import not_found
from taskflow.tasks.tasks import copies, moves, service
from taskflow.tasks.tasks import repository as repo
from taskflow.tasks.tasks.auth import TaskWriter, task_access
from taskflow.tasks.tasks.router import OverrideWip
from taskflow.tasks.tasks.schemas import TaskDuplicate, TaskMove, TaskMoveResult, TaskRead

router = APIRouter(prefix="/api/v1", tags=["tasks"])
WRITE_ERRORS = (NotFound, Forbidden, PreconditionFailed, Conflict, Unprocessable)

TaskKey = Annotated[
    str,
    Path(
        pattern=r"^[A-Za-z][A-Za-z0-9]{1,9}-[0-9]{1,9}$",
        description="Project key and number, e.g. OPS-12 (case-insensitive).",
    ),
]


@router.get(
    "/tasks/by-key/{key}",
    dependencies=[require_scope(Scope.TASKS_READ)],
    response_model=TaskRead,
    operation_id="tasks_get_by_key",
    responses={
        **errors(NotFound),
        308: {
            "description": "The task moved to another project: `Location` is its new key's "
            "address (the old key-number keeps answering so).",
            "headers": {"Location": {"schema": {"type": "string"}}},
        },
    },
)
async def get_task_by_key(
    key: TaskKey, who: CurrentPrincipal, db: SessionDep, response: Response
) -> Any:
    """One task by its key; a key-number the task had before a move redirects (308)."""
    project_key, _, number = key.upper().rpartition("-")
    live, moved = await repo.by_key(db, project_key, int(number))
    if live is not None:
        await task_access(db, who, live, "viewer")
        task = await service.get(db, live)
        set_etag(response, task.version)
        return task
    if moved is not None:
        # Only someone who may see the task where it is now learns where that is.
        await task_access(db, who, moved, "viewer")
        found = await repo.get_with_key(db, moved)
        assert found is not None
        task_row, new_key = found
        return Response(
            status_code=status.HTTP_308_PERMANENT_REDIRECT,
            headers={"Location": f"/api/v1/tasks/by-key/{new_key}-{task_row.number}"},
        )
    raise not_found("task")


@router.post(
    "/tasks/{task_id}/move",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    response_model=TaskMoveResult,
    operation_id="tasks_move",
    responses=errors(*WRITE_ERRORS),
)
async def move_task(
    task_id: uuid.UUID,
    body: TaskMove,
    access: TaskWriter,
    db: SessionDep,
    response: Response,
    if_match: IfMatch = None,
    override_wip: OverrideWip = False,
) -> TaskMoveResult:
    """Move a task with its subtasks, comments and activity to another project.

    Member or higher in both projects. The task gets a new key-number (the old one redirects);
    labels and milestone are mapped by name or dropped, assignees and watchers who are not
    members of the target removed: `moved` says what each task lost. 422 `same_project` or
    `unknown_project`; 409 `wip_limit_reached` or `open_blockers` for the named status.
    """
    result = await moves.move(db, access, task_id, body, if_match, override_wip=override_wip)
    set_etag(response, result.task.version)
    return result


@router.post(
    "/tasks/{task_id}/duplicate",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    status_code=status.HTTP_201_CREATED,
    response_model=TaskRead,
    operation_id="tasks_duplicate",
    responses=errors(*WRITE_ERRORS),
)
async def duplicate_task(
    task_id: uuid.UUID,
    access: TaskWriter,
    db: SessionDep,
    idem: IdempotencyDep,
    body: Annotated[TaskDuplicate | None, Body()] = None,
    override_wip: OverrideWip = False,
) -> Response:
    """Copy a task's fields (optionally its subtasks) into a new task of the same project.

    Comments, activity and dependencies are not copied; honours Idempotency-Key.
    """
    task = await copies.duplicate(
        db, access, task_id, body or TaskDuplicate(), override_wip=override_wip
    )
    return await idem.respond(
        db,
        task,
        status_code=201,
        headers={"Location": f"/api/v1/tasks/{task.id}", "ETag": f'"{task.version}"'},
    )
