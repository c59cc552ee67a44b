"""Which events an endpoint may ask for, pattern matching, and the body it receives.

The body is the public form of the event, in the Standard Webhooks shape
`{"type", "timestamp", "data"}` plus `event_id` and `actor_id`. `data` is the event contract's
data: every field of the project, task, comment and milestone contracts is readable by any
project member through the api (task descriptions are not in the events at all), and updates
carry `changes: {field: {before, after}}`. The CloudEvents envelope's transport fields
(`traceparent`, `source`, `dataschema`) are left out: they describe our network, not the
customer's work. Fields a contract marks sensitive are redacted, as the audit log does.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from taskflow.events.contracts import registered_events
from taskflow.events.contracts.base import Event

FAMILIES = ("project", "task", "comment", "milestone")
PING = "webhook.ping"


def deliverable_types() -> list[str]:
    """Every event type an endpoint may subscribe to (the project-scoped families, less the
    events only project admins may read: invitations name addresses without an account)."""
    return sorted(
        {
            c.event_type
            for c in registered_events()
            if c.event_type.split(".")[0] in FAMILIES and c.members_may_see
        }
    )


def invalid_patterns(patterns: list[str]) -> list[int]:
    """Indexes of patterns that are neither a known type, `<family>.*`, nor `*`."""
    known = set(deliverable_types())
    wildcards = {"*", *(f"{f}.*" for f in FAMILIES)}
    return [i for i, p in enumerate(patterns) if p not in known and p not in wildcards]


def matches(patterns: list[str], event_type: str) -> bool:
    """Whether an endpoint subscribed to `patterns` wants `event_type`."""
    family = event_type.split(".", 1)[0]
    return any(p in ("*", event_type, f"{family}.*") for p in patterns)


def _dumps(body: dict[str, Any]) -> str:
    # Compact and stable: the exact text is what gets signed, stored once, and re-sent as is.
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def event_body(
    event: Event, *, event_id: uuid.UUID, time: datetime, actor_id: uuid.UUID | None
) -> str:
    """The JSON text sent for a domain event."""
    return _dumps(
        {
            "type": event.event_type,
            "timestamp": time.isoformat().replace("+00:00", "Z"),
            "event_id": str(event_id),
            "actor_id": str(actor_id) if actor_id else None,
            "data": event.redacted(),
        }
    )


def ping_body(webhook_id: uuid.UUID, project_id: uuid.UUID, now: datetime) -> str:
    """The JSON text of a test message."""
    return _dumps(
        {
            "type": PING,
            "timestamp": now.isoformat().replace("+00:00", "Z"),
            "event_id": None,
            "actor_id": None,
            "data": {"webhook_id": str(webhook_id), "project_id": str(project_id)},
        }
    )
