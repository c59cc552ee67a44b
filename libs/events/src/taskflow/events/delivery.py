"""What the consumer hands a handler: the handler protocol and one decoded delivery.

Kept apart from the consumer loop so that a subclass's batch hook (audit) and the handlers'
own modules can name these types without reading the loop.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Generic, NamedTuple, Protocol, TypeVar

from aio_pika.abc import AbstractIncomingMessage
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.events.contracts import Event
from taskflow.events.envelope import Envelope

T = TypeVar("T")


class Handler(Protocol):
    """``async def handle(session, envelope, event)``: apply the event; never commit."""

    def __call__(self, session: AsyncSession, envelope: Envelope, event: Event) -> Awaitable[None]:
        """Apply one event inside the consumer's transaction."""


class Delivery(NamedTuple):
    """A well-formed message with its decoded event and the handler that will apply it."""

    message: AbstractIncomingMessage
    envelope: Envelope
    event: Event
    handler: Handler


class Outcome(NamedTuple, Generic[T]):
    """What became of the well-formed part of a unit of work (one message or a batch)."""

    ready: list[Delivery]
    result: T | None  # what the work returned (None when it failed)
    error: Exception | None  # the handler's failure (or bad data); None when it committed
