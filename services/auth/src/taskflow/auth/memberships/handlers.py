"""Consumer handlers of `project.member_added` / `project.member_removed`.

Auth needs to know who shares a project with whom to decide whose email a caller may see
(docs/architecture.md, "Who sees whose email"). The tasks service owns memberships; this
projection follows its events, idempotently (upsert and delete), in the order they were
committed (the relay keeps one project's events in commit order).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.auth.memberships import repository
from taskflow.events.contracts.projects import ProjectMemberAdded, ProjectMemberRemoved

MEMBERSHIP_EVENTS = ("project.member_added", "project.member_removed")


async def handle_membership_event(session: AsyncSession, envelope: Any, event: Any) -> None:
    """Apply one membership event to the projection."""
    if isinstance(event, ProjectMemberAdded):
        await repository.add(session, event.project_id, event.user_id)
    elif isinstance(event, ProjectMemberRemoved):
        await repository.remove(session, event.project_id, event.user_id)
