"""HTTP routes of tasks: CRUD, trash, lists and search."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from pydantic import AwareDatetime, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.concurrency import IfMatch, set_etag
from taskflow.common.db import ReadSessionDep, SessionDep, reads, transaction
from taskflow.common.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    Unprocessable,
    errors,
)
from taskflow.common.idempotency import IdempotencyDep
from taskflow.common.pagination import Page, PageParamsDep
from taskflow.common.scopes import Scope
from taskflow.common.security import CurrentPrincipal, require_scope
from taskflow.tasks.projects.auth import ProjectMember, ProjectViewer
from taskflow.tasks.tasks import queries, service
from taskflow.tasks.tasks.auth import TaskReader, TaskWriter, TrashedTaskWriter
from taskflow.tasks.tasks.schemas import (
    Priority,
    TaskCreate,
    TaskFilters,
    TaskRead,
    TaskSort,
    TaskUpdate,
)

router = APIRouter(prefix="/api/v1", tags=["tasks"])
WRITE_ERRORS = (NotFound, Forbidden, PreconditionFailed, Conflict)


async def task_filters(
    status_: Annotated[
        list[str] | None,
        Query(
            alias="status",
            description="Status ids, categories (`done`, `in_progress`...) or status names.",
        ),
    ] = None,
    priority: Annotated[list[Priority] | None, Query()] = None,
    assignee: Annotated[str | None, Query(description="A user id, `me` or `none`.")] = None,
    label: Annotated[list[uuid.UUID] | None, Query(description="Any of these labels.")] = None,
    milestone: Annotated[str | None, Query(description="A milestone id or `none`.")] = None,
    parent: Annotated[str | None, Query(description="A task id or `none`.")] = None,
    due_before: AwareDatetime | None = None,
    due_after: AwareDatetime | None = None,
    overdue: bool | None = None,
    created_before: AwareDatetime | None = None,
    created_after: AwareDatetime | None = None,
    updated_before: AwareDatetime | None = None,
    updated_after: AwareDatetime | None = None,
    recurring: bool | None = None,
    blocked: Annotated[
        bool | None, Query(description="Tasks with (true) or without (false) an open blocker.")
    ] = None,
    q: Annotated[
        str | None, Query(min_length=1, max_length=200, description="Full-text search.")
    ] = None,
    sort: TaskSort | None = None,
) -> TaskFilters:
    """The list filters from the query string (422 naming the parameter when invalid)."""
    try:
        return TaskFilters(
            status=status_,
            priority=priority,
            assignee=assignee,
            label=label,
            milestone=milestone,
            parent=parent,
            due_before=due_before,
            due_after=due_after,
            overdue=overdue,
            created_before=created_before,
            created_after=created_after,
            updated_before=updated_before,
            updated_after=updated_after,
            recurring=recurring,
            blocked=blocked,
            q=q,
            sort=sort,
        )
    except ValidationError as exc:
        raise Unprocessable(
            "Invalid filter.",
            errors=[
                {"loc": ["query", *[str(p) for p in e["loc"]]], "msg": e["msg"], "type": e["type"]}
                for e in exc.errors()
            ],
        ) from None


Filters = Annotated[TaskFilters, Depends(task_filters)]
OverrideWip = Annotated[
    bool,
    Query(description="Exceed the target status's WIP limit (project admin or owner only)."),
]


@router.post(
    "/projects/{project_id}/tasks",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    status_code=status.HTTP_201_CREATED,
    response_model=TaskRead,
    operation_id="tasks_create",
    responses=errors(NotFound, Forbidden, Conflict),
)
async def create_task(
    body: TaskCreate,
    access: ProjectMember,
    db: SessionDep,
    idem: IdempotencyDep,
    override_wip: OverrideWip = False,
) -> Response:
    """Create a task in a project (member or higher); honours Idempotency-Key.

    409 `wip_limit_reached` when the status is at its WIP limit, unless an admin overrides it.
    """
    task = await service.create(db, access, body, override_wip=override_wip)
    return await idem.respond(
        db,
        task,
        status_code=201,
        headers={"Location": f"/api/v1/tasks/{task.id}", "ETag": f'"{task.version}"'},
    )


async def list_session(
    request: Request, project_id: uuid.UUID, filters: Filters
) -> AsyncIterator[AsyncSession]:
    """A project list's session: plain reads unless the list plans with its values."""
    db = request.app.state.db
    scope = transaction(db) if queries.needs_custom_plan(filters, project_id) else reads(db)
    async with scope as session:
        yield session


ListSession = Annotated[AsyncSession, Depends(list_session, scope="function")]


@router.get(
    "/projects/{project_id}/tasks",
    dependencies=[require_scope(Scope.TASKS_READ)],
    response_model=Page[TaskRead],
    operation_id="tasks_list_project",
    responses=errors(NotFound),
)
async def list_project_tasks(
    project_id: uuid.UUID,
    who: CurrentPrincipal,
    page: PageParamsDep,
    filters: Filters,
    db: ListSession,  # after the parameters it reads, which keeps their order in OpenAPI
) -> Page[TaskRead]:
    """The live tasks of one project, filtered, searched and sorted."""
    # Membership (viewer or higher) is a condition of the list query itself: one round trip.
    return await service.list_tasks(
        db, who.user_id, filters, page, project_id=project_id, principal=who
    )


@router.get(
    "/tasks",
    dependencies=[require_scope(Scope.TASKS_READ)],
    response_model=Page[TaskRead],
    operation_id="tasks_list",
)
async def list_my_tasks(
    who: CurrentPrincipal, db: SessionDep, page: PageParamsDep, filters: Filters
) -> Page[TaskRead]:
    """The live tasks of every project the caller is a member of."""
    return await service.list_tasks(db, who.user_id, filters, page)


@router.get(
    "/projects/{project_id}/trash",
    dependencies=[require_scope(Scope.TASKS_READ)],
    response_model=Page[TaskRead],
    operation_id="tasks_trash",
    responses=errors(NotFound),
)
async def project_trash(
    access: ProjectViewer, db: SessionDep, page: PageParamsDep
) -> Page[TaskRead]:
    """The trashed tasks of a project, most recently deleted first."""
    return await service.trash(db, access, page)


@router.get(
    "/tasks/{task_id}",
    dependencies=[require_scope(Scope.TASKS_READ)],
    response_model=TaskRead,
    operation_id="tasks_get",
    responses=errors(NotFound),
)
async def get_task(
    task_id: uuid.UUID, access: TaskReader, db: ReadSessionDep, response: Response
) -> TaskRead:
    """One task."""
    task = await service.get(db, task_id)
    set_etag(response, task.version)
    return task


@router.patch(
    "/tasks/{task_id}",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    response_model=TaskRead,
    operation_id="tasks_update",
    responses=errors(*WRITE_ERRORS),
)
async def update_task(
    task_id: uuid.UUID,
    body: TaskUpdate,
    access: TaskWriter,
    db: SessionDep,
    response: Response,
    if_match: IfMatch = None,
    override_wip: OverrideWip = False,
) -> TaskRead:
    """Change some fields of a task (member or higher); If-Match gives 412 on a stale version.

    A move into a status at its WIP limit is 409 `wip_limit_reached` unless an admin overrides.
    """
    task = await service.update(db, access, task_id, body, if_match, override_wip=override_wip)
    set_etag(response, task.version)
    return task


@router.delete(
    "/tasks/{task_id}",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    status_code=204,
    operation_id="tasks_delete",
    responses=errors(*WRITE_ERRORS),
)
async def delete_task(
    task_id: uuid.UUID, access: TaskWriter, db: SessionDep, if_match: IfMatch = None
) -> Response:
    """Move a task to the trash (member or higher)."""
    await service.delete(db, access, task_id, if_match)
    return Response(status_code=204)


@router.post(
    "/tasks/{task_id}/restore",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    response_model=TaskRead,
    operation_id="tasks_restore",
    responses=errors(*WRITE_ERRORS),
)
async def restore_task(
    task_id: uuid.UUID,
    access: TrashedTaskWriter,
    db: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> TaskRead:
    """Bring a task back from the trash (member or higher)."""
    task = await service.restore(db, access, task_id, if_match)
    set_etag(response, task.version)
    return task
