"""Bodies of webhook subscriptions, deliveries and attempts.

No read model carries a secret: it is returned once, by the create and rotate operations.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from taskflow.tasks.webhooks.signing import message_id

#: The most characters of a receiver's answer an attempt shows.
EXCERPT_CHARS = 512

if TYPE_CHECKING:
    from taskflow.tasks.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery

EventTypes = list[str]


class WebhookCreate(BaseModel):
    """A new endpoint of the project."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    url: str = Field(min_length=1, max_length=2000, description="http(s) URL; https in production")
    event_types: EventTypes = Field(
        min_length=1,
        max_length=50,
        description='Event types or families, e.g. ["task.*", "comment.added"]; "*" for all.',
    )
    description: str = Field(default="", max_length=500)
    active: bool = True


class WebhookUpdate(BaseModel):
    """Fields to change; re-activating an endpoint clears its failure streak."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    url: str | None = Field(default=None, min_length=1, max_length=2000)
    event_types: EventTypes | None = Field(default=None, min_length=1, max_length=50)
    description: str | None = Field(default=None, max_length=500)
    active: bool | None = None


class WebhookRead(BaseModel):
    """An endpoint, without its secret."""

    id: uuid.UUID
    project_id: uuid.UUID
    url: str
    description: str
    event_types: EventTypes
    active: bool
    disabled_reason: str | None = Field(
        description='Why the service deactivated it ("failing"), or null.'
    )
    failing_since: datetime | None
    previous_secret_expires_at: datetime | None = Field(
        description="While set and in the future, the previous secret still signs too."
    )
    version: int
    created_at: datetime
    updated_at: datetime


class WebhookCreated(WebhookRead):
    """The new endpoint and its signing secret, shown this once."""

    secret: str = Field(description="`whsec_...`: store it now, it is never shown again.")


class SecretRotated(BaseModel):
    """The new signing secret (shown once) and until when the old one still signs."""

    secret: str
    previous_secret_expires_at: datetime


class DeliveryRead(BaseModel):
    """One message to the endpoint; `message_id` is its `webhook-id` on every attempt."""

    id: uuid.UUID
    webhook_id: uuid.UUID
    message_id: str
    event_id: uuid.UUID | None
    event_type: str
    state: Literal["pending", "succeeded", "failed"]
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    created_at: datetime


class AttemptRead(BaseModel):
    """One HTTP attempt of a delivery, as the delivery log shows it."""

    id: uuid.UUID
    delivery_id: uuid.UUID
    attempted_at: datetime
    status_code: int | None
    duration_ms: int
    outcome: Literal["succeeded", "retry", "failed"]
    response_excerpt: str = Field(description="The first bytes of the answer (at most 512).")
    error: str | None


class RedeliverFailed(BaseModel):
    """Queue every failed delivery of the endpoint created at or after `since` again."""

    model_config = ConfigDict(extra="forbid")

    since: datetime


class Requeued(BaseModel):
    """How many deliveries were queued again."""

    requeued: int


def read(hook: Webhook, now: datetime | None = None) -> WebhookRead:
    now = now or datetime.now(UTC)
    overlap = hook.previous_expires_at if hook.previous_secret else None
    return WebhookRead(
        id=hook.id,
        project_id=hook.project_id,
        url=hook.url,
        description=hook.description,
        event_types=list(hook.event_types),
        active=hook.active,
        disabled_reason=hook.disabled_reason,
        failing_since=hook.failing_since,
        previous_secret_expires_at=overlap if overlap and overlap > now else None,
        version=hook.version,
        created_at=hook.created_at,
        updated_at=hook.updated_at,
    )


def delivery_read(d: WebhookDelivery) -> DeliveryRead:
    return DeliveryRead(
        id=d.id,
        webhook_id=d.webhook_id,
        message_id=message_id(d.id),
        event_id=d.event_id,
        event_type=d.event_type,
        state=d.state,
        attempts=d.attempts,
        next_attempt_at=d.next_attempt_at if d.state == "pending" else None,
        last_attempt_at=d.last_attempt_at,
        last_status=d.last_status,
        last_error=d.last_error,
        created_at=d.created_at,
    )


def attempt_read(a: WebhookAttempt) -> AttemptRead:
    return AttemptRead(
        id=a.id,
        delivery_id=a.delivery_id,
        attempted_at=a.attempted_at,
        status_code=a.status_code,
        duration_ms=a.duration_ms,
        outcome=a.outcome,
        response_excerpt=a.response_excerpt[:EXCERPT_CHARS],
        error=a.error,
    )
