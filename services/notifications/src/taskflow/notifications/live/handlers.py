"""Events -> live pushes: boards hear every event of their project; sockets follow membership.

Pushes go out after the commit (`post_commit`), so a rolled-back event is never announced.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.events.contracts.base import Event
from taskflow.events.contracts.projects import ProjectMemberAdded, ProjectMemberRemoved
from taskflow.events.envelope import Envelope
from taskflow.notifications.consuming import Handler, combine
from taskflow.notifications.context import Context
from taskflow.notifications.post_commit import on_commit


def board_types(contracts: Iterable[type[Event]]) -> list[str]:
    """The types among ``contracts`` that can belong to a project and that every member may
    read (boards hear of them; invitations are for project admins only)."""
    return [
        cls.event_type
        for cls in contracts
        if ("project_id" in cls.model_fields or cls.project_ref is not Event.project_ref)
        and cls.members_may_see
    ]


def handlers(ctx: Context, received: Iterable[type[Event]]) -> dict[str, Handler]:
    """Membership changes join or leave open sockets; every project event the queue receives
    (``received``) is pushed to the project's boards."""

    async def member_added(
        session: AsyncSession, envelope: Envelope, event: ProjectMemberAdded
    ) -> None:
        join = {"type": "_join", "project_id": str(event.project_id)}
        on_commit(session, lambda: ctx.publisher.to_user(event.user_id, join))

    async def member_removed(
        session: AsyncSession, envelope: Envelope, event: ProjectMemberRemoved
    ) -> None:
        leave = {"type": "_leave", "project_id": str(event.project_id)}
        on_commit(session, lambda: ctx.publisher.to_user(event.user_id, leave))

    async def push_event(session: AsyncSession, envelope: Envelope, event: Event) -> None:
        """After commit, tell open boards of the project's members what changed."""
        project_id = event.project_ref()
        if project_id is None:
            return
        message: dict[str, Any] = {
            "type": "event",
            "event": {
                "id": str(envelope.id),
                "type": envelope.type,
                "time": envelope.time.isoformat(),
                "subject": envelope.subject,
                "project_id": str(project_id),
                "actor_id": str(envelope.actorid) if envelope.actorid else None,
                "data": event.redacted(),
            },
        }
        on_commit(session, lambda: ctx.publisher.to_project(project_id, message))

    membership: dict[str, Handler] = {
        "project.member_added": member_added,
        "project.member_removed": member_removed,
    }
    # A new member's sockets join before the push, as the member's own board expects.
    return combine(membership, dict.fromkeys(board_types(received), push_event))
