"""Typed errors of the event bus, so that callers can tell a poison message from a bug."""

from __future__ import annotations


class EventError(Exception):
    """Base of every error raised by ``taskflow.events``."""


class MalformedEvent(EventError):
    """A message that can never be handled as it is: not JSON, not an envelope, unknown type,
    or data that does not match its schema. Consumers park it at once instead of retrying.

    ``reason`` is short, safe to log and to put into a message header (no payload values).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnknownEventType(MalformedEvent):
    """No contract is registered for this ``(type, version)``."""

    def __init__(self, event_type: str, version: int) -> None:
        super().__init__(f"unknown event type {event_type!r} version {version}")
        self.event_type = event_type
        self.version = version


class SchemaMismatch(MalformedEvent):
    """The ``data`` of an envelope does not validate against its registered contract."""


class DuplicateEventType(EventError):
    """Two contract classes claim the same ``(type, version)``; a programming error."""


class PublishFailed(EventError):
    """The broker did not accept a message (nack, returned as unroutable, or connection loss)."""
