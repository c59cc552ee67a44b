"""Events produced by the notifications service."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from taskflow.events.contracts.base import Event


class NotificationDeliveryFailed(Event):
    """A delivery gave up after its last attempt (the in-app notification still exists).

    ``last_error`` is a short, secret-free description (no SMTP credentials, no URLs with tokens).
    """

    event_type: ClassVar[str] = "notification.delivery_failed"

    notification_id: UUID
    delivery_id: UUID
    user_id: UUID
    channel: str
    attempts: int
    last_error: str

    def subject(self) -> str:
        return f"notification/{self.notification_id}"

    def aggregate_id(self) -> str:
        return str(self.notification_id)
