"""Which events an endpoint may ask for, pattern matching, and the body it receives.

The body is the public form of the event, in the Standard Webhooks shape
`{"type", "timestamp", "data"}` plus `event_id` and `actor_id`. `data` is the event contract's
data: every field of the project, task, comment and milestone contracts is readable by any
project member through the api (task descriptions are not in the events at all), and updates
carry `changes: {field: {before, after}}`. The CloudEvents envelope's transport fields
(`traceparent`, `source`, `dataschema`) are left out: they describe our network, not the
customer's work. Fields a contract marks sensitive are redacted, as the audit log does.

An event can name things of *another* project, which the receiving project's members cannot
read through the api, so `public_data` cuts them out for that project's endpoints:

- a dependency event's `blocker` may be a task of another project (links cross projects the
  linker can see): to the blocked task's project it is `null` then, as the api's dependency
  list leaves out tasks of projects the caller is not in;
- a `task.moved` reaches the project the task left too, but its `task` is the task as it is
  now, in the target project: that project gets only `task_id`, `from_project_id` and
  `from_key` (what its members knew), not the target's key, labels, milestone or people.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from taskflow.events.contracts import registered_events
from taskflow.events.contracts.base import Event
from taskflow.events.contracts.tasks import (
    TaskDependencyAdded,
    TaskDependencyRemoved,
    TaskMoved,
    TaskUnblocked,
)

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


def public_data(event: Event, project_id: uuid.UUID) -> dict[str, Any]:
    """The event's data as the members of `project_id` may read it (see the module text)."""
    data = event.redacted()
    if (
        isinstance(event, TaskDependencyAdded | TaskDependencyRemoved | TaskUnblocked)
        and event.blocker.project_id != project_id
    ):
        data["blocker"] = None
    if isinstance(event, TaskMoved) and project_id == event.from_project_id != event.to_project_id:
        data = {
            "task_id": str(event.task_id),
            "from_project_id": str(event.from_project_id),
            "from_key": event.from_key,
        }
    return data


def event_body(
    event: Event,
    *,
    event_id: uuid.UUID,
    time: datetime,
    actor_id: uuid.UUID | None,
    project_id: uuid.UUID,
) -> str:
    """The JSON text sent for a domain event to the endpoints of `project_id`."""
    return _dumps(
        {
            "type": event.event_type,
            "timestamp": time.isoformat().replace("+00:00", "Z"),
            "event_id": str(event_id),
            "actor_id": str(actor_id) if actor_id else None,
            "data": public_data(event, project_id),
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
