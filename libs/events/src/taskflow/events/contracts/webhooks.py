"""Events about a project's outgoing webhooks, produced by the tasks service."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from taskflow.events.contracts.base import Event


class WebhookDisabled(Event):
    """An endpoint kept failing and was deactivated; its project's admins should be told.

    ``url_host`` is the host only (a URL's path or query may carry the receiver's own token).
    ``admin_ids`` are the project's owners and admins when it happened, so that a consumer
    without a membership projection can still address them. Deliberately not a ``project.*``
    type: webhooks never deliver it (the endpoint is the one that is failing).
    """

    event_type: ClassVar[str] = "webhook.disabled"

    webhook_id: UUID
    project_id: UUID
    url_host: str
    failing_since: datetime
    admin_ids: list[UUID]

    def subject(self) -> str:
        return f"webhook/{self.webhook_id}"

    def aggregate_id(self) -> str:
        return str(self.webhook_id)

    def project_ref(self) -> UUID | None:
        """None: this is no project board news (plain members may not see hooks); consumers
        that need the project read ``project_id``."""
        return None
