"""Rules of webhook subscriptions: validation, secrets shown once, rotation, redelivery, ping.

The api never calls a receiver: a ping or a redelivery is a pending delivery row that the
`webhooks` worker sends, through the same guard, retries and breaker as any event.
"""

from __future__ import annotations

import ipaddress
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.errors import Unprocessable
from taskflow.common.pagination import Page, PageParams
from taskflow.tasks.config import Settings
from taskflow.tasks.projects.auth import ProjectAccess, not_found
from taskflow.tasks.webhooks import payloads, repository, signing
from taskflow.tasks.webhooks.errors import DeliveryNotFailed, TooManyWebhooks
from taskflow.tasks.webhooks.models import Webhook, WebhookDelivery
from taskflow.tasks.webhooks.outbound import RefusedTarget, check_url, refusal
from taskflow.tasks.webhooks.schemas import (
    AttemptRead,
    DeliveryRead,
    SecretRotated,
    WebhookCreate,
    WebhookCreated,
    WebhookRead,
    WebhookUpdate,
    attempt_read,
    delivery_read,
    read,
)


def _invalid(field: str, msg: str, kind: str, index: int | None = None) -> Unprocessable:
    loc: list[Any] = ["body", field] if index is None else ["body", field, index]
    return Unprocessable(msg, errors=[{"loc": loc, "msg": msg, "type": kind}])


def validate_url(url: str, settings: Settings) -> None:
    """422 naming `url` for a scheme, credentials or an address literal that is refused.

    Host names are checked again at every send (their addresses may change); an IP literal
    can be refused now.
    """
    try:
        check_url(url, require_https=settings.webhooks_require_https)
    except RefusedTarget as exc:
        why = {
            "scheme": "https is required" if settings.webhooks_require_https else "use http(s)",
            "host": "a host is required and credentials are not allowed in the URL",
            "port": "the port is not valid",
        }[str(exc)]
        raise _invalid("url", f"The URL is not allowed: {why}.", "url_refused") from None
    host = urlsplit(url).hostname or ""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return
    kind = refusal(ip)
    if kind is not None and (not settings.webhooks_private_allowed or kind == "metadata"):
        raise _invalid("url", "The URL points at a non-public address.", "url_refused")


def validate_event_types(patterns: list[str]) -> list[str]:
    """The patterns, deduplicated; 422 naming the first unknown one."""
    bad = payloads.invalid_patterns(patterns)
    if bad:
        raise _invalid(
            "event_types",
            f"Unknown event type {patterns[bad[0]]!r}: use a type such as task.created, "
            f"a family such as task.*, or *.",
            "unknown_event_type",
            bad[0],
        )
    return list(dict.fromkeys(patterns))


async def create(
    db: AsyncSession, access: ProjectAccess, body: WebhookCreate, settings: Settings
) -> WebhookCreated:
    """A new endpoint with a fresh secret (returned here and never again)."""
    access.require_writable()
    validate_url(body.url, settings)
    types = validate_event_types(body.event_types)
    if await repository.count_for_project(db, access.project_id) >= (
        settings.webhooks_max_per_project
    ):
        raise TooManyWebhooks(f"At most {settings.webhooks_max_per_project} webhooks a project.")
    now = datetime.now(UTC)
    secret = signing.new_secret()
    hook = Webhook(
        project_id=access.project_id,
        url=body.url,
        description=body.description,
        event_types=types,
        active=body.active,
        secret=secret,
        version=1,
        created_by=access.user_id,
        created_at=now,
        updated_at=now,
    )
    db.add(hook)
    await db.flush()
    return WebhookCreated(**read(hook, now).model_dump(), secret=secret)


async def list_for_project(
    db: AsyncSession, project_id: uuid.UUID, page: PageParams
) -> Page[WebhookRead]:
    """One page of the project's endpoints, oldest first, without their secrets."""
    result = await repository.list_for_project(db, project_id, page)
    return Page[WebhookRead](items=[read(h) for h in result.items], next_cursor=result.next_cursor)


def update(hook: Webhook, body: WebhookUpdate, settings: Settings) -> None:
    """Apply the changes; turning an endpoint on again, or a new URL, forgets its failure
    streak."""
    fields = body.model_dump(exclude_unset=True)
    for name in ("url", "event_types", "active"):
        if name in fields and fields[name] is None:
            raise _invalid(name, f"{name} cannot be null.", "null")
    if "url" in fields:
        validate_url(fields["url"], settings)
    if "event_types" in fields:
        fields["event_types"] = validate_event_types(fields["event_types"])
    if fields.get("description") is None:
        fields.pop("description", None)
    changed = {k: v for k, v in fields.items() if getattr(hook, k) != v}
    if not changed:
        return
    for k, v in changed.items():
        setattr(hook, k, v)
    if changed.get("active") is True or "url" in changed:
        # a new start: the streak that disables an endpoint was about the old one
        hook.failing_since = None
    if changed.get("active") is True:
        hook.disabled_reason = None
    hook.version += 1
    hook.updated_at = datetime.now(UTC)


def rotate(hook: Webhook, settings: Settings) -> SecretRotated:
    """A new secret; the current one keeps signing (as a second signature) for the overlap."""
    now = datetime.now(UTC)
    until = now + timedelta(hours=settings.webhooks_rotation_overlap_hours)
    hook.previous_secret, hook.previous_expires_at = hook.secret, until
    hook.secret = signing.new_secret()
    hook.version += 1
    hook.updated_at = now
    return SecretRotated(secret=hook.secret, previous_secret_expires_at=until)


def ping(db: AsyncSession, hook: Webhook) -> WebhookDelivery:
    """A `webhook.ping` delivery, due now (the worker sends to active endpoints only, so a
    ping to an inactive one waits until it is turned on)."""
    now = datetime.now(UTC)
    delivery = WebhookDelivery(
        webhook_id=hook.id,
        event_id=None,
        event_type=payloads.PING,
        payload=payloads.ping_body(hook.id, hook.project_id, now),
        state="pending",
        attempts=0,
        round_attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    db.add(delivery)
    return delivery


async def redeliver(db: AsyncSession, hook: Webhook, delivery_id: uuid.UUID) -> WebhookDelivery:
    """Queue one delivery again with the same body and `webhook-id` (a new retry schedule)."""
    d = await repository.get_delivery(db, hook.id, delivery_id)
    if d is None:
        raise not_found("delivery")
    if d.state == "pending":
        raise DeliveryNotFailed("The delivery is still pending; it will be tried again.")
    d.state, d.round_attempts, d.next_attempt_at = "pending", 0, datetime.now(UTC)
    return d


async def list_deliveries(
    db: AsyncSession, webhook_id: uuid.UUID, state: str | None, page: PageParams
) -> Page[DeliveryRead]:
    """One page of the endpoint's messages, newest first, optionally of one state."""
    result = await repository.deliveries(db, webhook_id, state, page)
    return Page[DeliveryRead](
        items=[delivery_read(d) for d in result.items], next_cursor=result.next_cursor
    )


async def list_attempts(
    db: AsyncSession, webhook_id: uuid.UUID, page: PageParams
) -> Page[AttemptRead]:
    """One page of the endpoint's delivery log: every attempt, newest first."""
    result = await repository.attempts(db, webhook_id, page)
    return Page[AttemptRead](
        items=[attempt_read(a) for a in result.items], next_cursor=result.next_cursor
    )


async def redeliver_failed(db: AsyncSession, webhook_id: uuid.UUID, since: datetime) -> int:
    """Queue again every failed message of the endpoint created since `since` (a time without
    a zone is UTC); how many were queued."""
    since = since if since.tzinfo else since.replace(tzinfo=UTC)
    return await repository.requeue_failed_since(db, webhook_id, since, datetime.now(UTC))
