"""The consumer's handler: every event becomes one entry of the chain."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.audit.chain.append import append
from taskflow.audit.chain.intake import to_entry
from taskflow.events.consumer import Handler
from taskflow.events.contracts import Event
from taskflow.events.envelope import Envelope


def make_handler(redact_fields: Iterable[str]) -> Handler:
    """`handle(session, envelope, event)` appending one entry in the consumer's transaction."""
    names = frozenset(redact_fields)

    async def handle(session: AsyncSession, envelope: Envelope, event: Event) -> None:
        """Record one event (the framework has already written its inbox row)."""
        await append(session, [to_entry(envelope, event, names)])

    return handle
