"""The shape of the consumer's handlers, and how the domains' maps become the library's map.

Each domain package has a ``handlers.py`` with one ``handlers(...)`` function returning its
event type -> handler entries. Several domains react to the same type (a task event updates
the projection, notifies people, keeps reminders and calendars in step, and is pushed live),
so :func:`combine` chains them into the one handler per type that the events library's
``Consumer`` takes. A type with no entry is not ours: the library parks it ("no handler").
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.events.envelope import Envelope


class Handler(Protocol):
    """The events library's handler, typed loosely on the event so that each handler can name
    the one contract it receives."""

    def __call__(self, session: AsyncSession, envelope: Envelope, event: Any) -> Awaitable[None]:
        """Apply one event inside the consumer's transaction; never commit."""


def combine(*maps: Mapping[str, Handler]) -> dict[str, Handler]:
    """One handler per event type, running every map's handler for it in the maps' order.

    The order matters: projections first (the others read them), live pushes last (so a
    board hears of an event after the notifications it caused were queued).
    """
    chains: dict[str, list[Handler]] = {}
    for entries in maps:
        for event_type, handler in entries.items():
            chains.setdefault(event_type, []).append(handler)
    return {event_type: _chain(steps) for event_type, steps in chains.items()}


def _chain(steps: list[Handler]) -> Handler:
    if len(steps) == 1:
        return steps[0]

    async def handle(session: AsyncSession, envelope: Envelope, event: Any) -> None:
        for step in steps:
            await step(session, envelope, event)

    return handle
