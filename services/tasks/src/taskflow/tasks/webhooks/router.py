"""Webhook endpoints of a project, their delivery log, redelivery and ping (admins only)."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Query, Request, Response, status

from taskflow.common.concurrency import IfMatch, check_version, set_etag
from taskflow.common.db import SessionDep
from taskflow.common.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    Unprocessable,
    errors,
)
from taskflow.common.pagination import Page, PageParamsDep
from taskflow.common.scopes import Scope
from taskflow.common.security import CurrentPrincipal, require_scope
from taskflow.tasks.config import Settings
from taskflow.tasks.projects.auth import ProjectAdmin
from taskflow.tasks.webhooks import service
from taskflow.tasks.webhooks.auth import webhook_access
from taskflow.tasks.webhooks.schemas import (
    AttemptRead,
    DeliveryRead,
    RedeliverFailed,
    Requeued,
    SecretRotated,
    WebhookCreate,
    WebhookCreated,
    WebhookRead,
    WebhookUpdate,
    delivery_read,
    read,
)

router = APIRouter(prefix="/api/v1", tags=["webhooks"])


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.post(
    "/projects/{project_id}/webhooks",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    status_code=status.HTTP_201_CREATED,
    response_model=WebhookCreated,
    operation_id="webhooks_create",
    responses=errors(NotFound, Forbidden, Conflict, Unprocessable),
)
async def create_webhook(
    body: WebhookCreate, access: ProjectAdmin, db: SessionDep, request: Request, response: Response
) -> WebhookCreated:
    """Add an endpoint (project admin); the answer holds its secret, shown this once.

    No `Idempotency-Key` here: a replayed answer would have to keep the secret in the
    idempotency store."""
    created = await service.create(db, access, body, _settings(request))
    response.headers["Location"] = f"/api/v1/webhooks/{created.id}"
    set_etag(response, created.version)
    return created


@router.get(
    "/projects/{project_id}/webhooks",
    dependencies=[require_scope(Scope.TASKS_READ)],
    response_model=Page[WebhookRead],
    operation_id="webhooks_list",
    responses=errors(NotFound, Forbidden),
)
async def list_webhooks(
    access: ProjectAdmin, db: SessionDep, page: PageParamsDep
) -> Page[WebhookRead]:
    """The project's endpoints, oldest first (project admin)."""
    return await service.list_for_project(db, access.project_id, page)


@router.get(
    "/webhooks/{webhook_id}",
    dependencies=[require_scope(Scope.TASKS_READ)],
    response_model=WebhookRead,
    operation_id="webhooks_get",
    responses=errors(NotFound, Forbidden),
)
async def get_webhook(
    webhook_id: uuid.UUID, who: CurrentPrincipal, db: SessionDep, response: Response
) -> WebhookRead:
    """One endpoint, without its secret (project admin)."""
    hook, _ = await webhook_access(db, who, webhook_id)
    set_etag(response, hook.version)
    return read(hook)


@router.patch(
    "/webhooks/{webhook_id}",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    response_model=WebhookRead,
    operation_id="webhooks_update",
    responses=errors(NotFound, Forbidden, PreconditionFailed, Conflict, Unprocessable),
)
async def update_webhook(
    webhook_id: uuid.UUID,
    body: WebhookUpdate,
    who: CurrentPrincipal,
    db: SessionDep,
    request: Request,
    response: Response,
    if_match: IfMatch = None,
) -> WebhookRead:
    """Change an endpoint's URL, event types, description or active flag (project admin)."""
    hook, access = await webhook_access(db, who, webhook_id, lock=True)
    access.require_writable()
    check_version(hook, if_match)
    service.update(hook, body, _settings(request))
    set_etag(response, hook.version)
    return read(hook)


@router.delete(
    "/webhooks/{webhook_id}",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    status_code=204,
    operation_id="webhooks_delete",
    responses=errors(NotFound, Forbidden, PreconditionFailed),
)
async def delete_webhook(
    webhook_id: uuid.UUID, who: CurrentPrincipal, db: SessionDep, if_match: IfMatch = None
) -> Response:
    """Remove an endpoint with its delivery log; nothing more is sent to it (project admin)."""
    hook, _ = await webhook_access(db, who, webhook_id, lock=True)
    check_version(hook, if_match)
    await db.delete(hook)
    return Response(status_code=204)


@router.post(
    "/webhooks/{webhook_id}/rotate-secret",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    response_model=SecretRotated,
    operation_id="webhooks_rotate_secret",
    responses=errors(NotFound, Forbidden, Conflict),
)
async def rotate_secret(
    webhook_id: uuid.UUID, who: CurrentPrincipal, db: SessionDep, request: Request
) -> SecretRotated:
    """A new secret, shown this once; the old one also signs for 24 hours (project admin)."""
    hook, access = await webhook_access(db, who, webhook_id, lock=True)
    access.require_writable()
    return service.rotate(hook, _settings(request))


@router.post(
    "/webhooks/{webhook_id}/ping",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DeliveryRead,
    operation_id="webhooks_ping",
    responses=errors(NotFound, Forbidden),
)
async def ping_webhook(
    webhook_id: uuid.UUID, who: CurrentPrincipal, db: SessionDep
) -> DeliveryRead:
    """Queue a `webhook.ping` test message; its attempts appear in the log (project admin)."""
    hook, _ = await webhook_access(db, who, webhook_id)
    delivery = service.ping(db, hook)
    await db.flush()
    return delivery_read(delivery)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    dependencies=[require_scope(Scope.TASKS_READ)],
    response_model=Page[DeliveryRead],
    operation_id="webhooks_deliveries_list",
    responses=errors(NotFound, Forbidden),
)
async def list_deliveries(
    webhook_id: uuid.UUID,
    who: CurrentPrincipal,
    db: SessionDep,
    page: PageParamsDep,
    state: Literal["pending", "succeeded", "failed"] | None = Query(default=None),
) -> Page[DeliveryRead]:
    """The endpoint's messages, newest first, optionally of one state (project admin)."""
    hook, _ = await webhook_access(db, who, webhook_id)
    return await service.list_deliveries(db, hook.id, state, page)


@router.get(
    "/webhooks/{webhook_id}/attempts",
    dependencies=[require_scope(Scope.TASKS_READ)],
    response_model=Page[AttemptRead],
    operation_id="webhooks_attempts_list",
    responses=errors(NotFound, Forbidden),
)
async def list_attempts(
    webhook_id: uuid.UUID, who: CurrentPrincipal, db: SessionDep, page: PageParamsDep
) -> Page[AttemptRead]:
    """The delivery log: every attempt, newest first, with status, duration and the first
    bytes of the answer (project admin)."""
    hook, _ = await webhook_access(db, who, webhook_id)
    return await service.list_attempts(db, hook.id, page)


@router.post(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DeliveryRead,
    operation_id="webhooks_redeliver",
    responses=errors(NotFound, Forbidden, Conflict),
)
async def redeliver(
    webhook_id: uuid.UUID, delivery_id: uuid.UUID, who: CurrentPrincipal, db: SessionDep
) -> DeliveryRead:
    """Send one message again, with the same `webhook-id` and body (project admin)."""
    hook, _ = await webhook_access(db, who, webhook_id)
    return delivery_read(await service.redeliver(db, hook, delivery_id))


@router.post(
    "/webhooks/{webhook_id}/redeliver-failed",
    dependencies=[require_scope(Scope.TASKS_WRITE)],
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Requeued,
    operation_id="webhooks_redeliver_failed",
    responses=errors(NotFound, Forbidden),
)
async def redeliver_failed(
    webhook_id: uuid.UUID, body: RedeliverFailed, who: CurrentPrincipal, db: SessionDep
) -> Requeued:
    """Send every failed message created since `since` again (project admin)."""
    hook, _ = await webhook_access(db, who, webhook_id)
    return Requeued(requeued=await service.redeliver_failed(db, hook.id, body.since))
