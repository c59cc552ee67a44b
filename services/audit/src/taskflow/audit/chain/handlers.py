"""The consumer's handler: every event becomes one entry of the chain."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.audit.chain.append import append
from taskflow.audit.chain.intake import to_entry
from taskflow.audit.chain.redaction import RedactionRules
from taskflow.events import Handler
from taskflow.events.contracts import Event
from taskflow.events.envelope import Envelope


def make_handler(rules: RedactionRules) -> Handler:
    """`handle(session, envelope, event)` appending one entry in the consumer's transaction."""

    async def handle(session: AsyncSession, envelope: Envelope, event: Event) -> None:
        """Record one event (the framework has already written its inbox row)."""
        await append(session, [to_entry(envelope, event, rules)])

    return handle
