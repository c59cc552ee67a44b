"""Fan-out: each project event becomes one delivery per active endpoint that wants it.

Runs in the consumer's transaction with the inbox row, so a redelivered message makes no
second delivery; the `(webhook_id, event_id)` unique key is a second guard (ON CONFLICT DO
NOTHING) for a replay from the parking queue, whose inbox row may already exist or not.
"""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.events.contracts.base import Event
from taskflow.events.envelope import Envelope
from taskflow.tasks.webhooks import payloads, repository
from taskflow.tasks.webhooks.models import WebhookDelivery


async def handle_project_event(session: AsyncSession, envelope: Envelope, event: Event) -> None:
    """Queue the event for every active endpoint of its project subscribed to its type."""
    project_id = event.project_ref()
    if project_id is None or not type(event).members_may_see:
        return  # `project.*` must not bring invitations (admins only) to a receiver
    hooks = [
        h
        for h in await repository.active_for_project(session, project_id)
        if payloads.matches(list(h.event_types), event.event_type)
    ]
    if not hooks:
        return
    body = payloads.event_body(
        event, event_id=envelope.id, time=envelope.time, actor_id=envelope.actorid
    )
    rows = [
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
    stmt = insert(WebhookDelivery).values(rows)
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["webhook_id", "event_id"]))
