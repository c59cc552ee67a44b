"""Fan-out: each project event becomes one delivery per active endpoint that wants it.

Runs in the consumer's transaction with the inbox row, so a redelivered message makes no
second delivery; the `(webhook_id, event_id)` unique key is a second guard (ON CONFLICT DO
NOTHING) for a replay from the parking queue, whose inbox row may already exist or not.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.events.contracts.base import Event
from taskflow.events.contracts.tasks import TaskMoved
from taskflow.events.envelope import Envelope
from taskflow.tasks.webhooks import payloads, repository


def projects_of(event: Event) -> list[uuid.UUID]:
    """The projects whose endpoints hear the event: its own, and for a task that moved also
    the one it left (that project's integrations would otherwise see it vanish)."""
    project_id = event.project_ref()
    if project_id is None or not type(event).members_may_see:
        return []  # `project.*` must not bring invitations (admins only) to a receiver
    if isinstance(event, TaskMoved) and event.from_project_id != project_id:
        return [project_id, event.from_project_id]
    return [project_id]


async def handle_project_event(session: AsyncSession, envelope: Envelope, event: Event) -> None:
    """Queue the event for every active endpoint of its project(s) subscribed to its type."""
    rows = []
    for project_id in projects_of(event):
        hooks = [
            h
            for h in await repository.active_for_project(session, project_id)
            if payloads.matches(list(h.event_types), event.event_type)
        ]
        if not hooks:
            continue
        # Built per project: what one project's members may read is not another's.
        body = payloads.event_body(
            event,
            event_id=envelope.id,
            time=envelope.time,
            actor_id=envelope.actorid,
            project_id=project_id,
        )
        rows += [
            {
                "webhook_id": h.id,
                "event_id": envelope.id,
                "event_type": event.event_type,
                "payload": body,
                "state": "pending",
                "next_attempt_at": envelope.time,
            }
            for h in hooks
        ]
    if not rows:
        return
    await repository.add_deliveries(session, rows)
