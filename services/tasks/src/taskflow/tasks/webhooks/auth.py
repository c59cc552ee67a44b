"""Who may manage a project's webhooks: its admins and owners.

Endpoints and their delivery logs reveal the team's integrations and what they receive, and
a secret lets anyone forge messages to them, so plain members and viewers get 403 and
non-members 404, as for every project resource.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.security import Principal
from taskflow.tasks.projects.auth import ProjectAccess, not_found, project_access
from taskflow.tasks.webhooks import repository
from taskflow.tasks.webhooks.models import Webhook

MANAGER_ROLE = "admin"


async def webhook_access(
    db: AsyncSession, who: Principal, webhook_id: uuid.UUID, *, lock: bool = False
) -> tuple[Webhook, ProjectAccess]:
    """The endpoint and the caller's access; 404 when missing or not a member, 403 below admin."""
    hook = await repository.get(db, webhook_id, lock=lock)
    if hook is None:
        raise not_found("webhook")
    access = await project_access(db, who, hook.project_id, MANAGER_ROLE, what="webhook")
    return hook, access
