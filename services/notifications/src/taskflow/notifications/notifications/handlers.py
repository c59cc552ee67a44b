"""Events -> notifications: who hears of what (`recipients.py`), in what words (`content.py`).

`notify` stores the in-app rows and queues their mail; everything happens in the message's
transaction, so a redelivered event (skipped by the inbox) notifies nobody twice.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.events.contracts.comments import CommentAdded
from taskflow.events.contracts.projects import ProjectMemberAdded
from taskflow.events.contracts.tasks import (
    TaskAssigned,
    TaskCreated,
    TaskDependencyAdded,
    TaskDependencyRemoved,
    TaskEvent,
    TaskStatusChanged,
    TaskUnassigned,
    TaskUnblocked,
    TaskUpdated,
    category_of,
)
from taskflow.events.contracts.webhooks import WebhookDisabled
from taskflow.events.envelope import Envelope
from taskflow.notifications import content, recipients
from taskflow.notifications.consuming import Handler
from taskflow.notifications.context import Context
from taskflow.notifications.notifications.service import Planned, notify
from taskflow.notifications.preferences.schemas import Kind
from taskflow.notifications.projections import repository as projections
from taskflow.notifications.projections.handlers import TaskChange, TaskStep
from taskflow.notifications.projections.models import UserProjection

#: task.updated fields that have their own events (or do not interest people).
_QUIET_FIELDS = frozenset(
    {
        "assignee_ids", "status", "status_id", "status_category", "completed_at", "updated_at",
        "version",
    }
)  # fmt: skip


def handlers(ctx: Context) -> dict[str, Handler]:
    """The notifications' entries (task events come through :func:`task_step`)."""

    async def member_added(
        session: AsyncSession, envelope: Envelope, event: ProjectMemberAdded
    ) -> None:
        """The added member hears of it, unless they added themselves."""
        project = await projections.project(session, event.project_id)
        targets = recipients.for_member_added(envelope.actorid, event.user_id)
        actor = await _actor_name(session, envelope.actorid)
        planned = [
            Planned(
                user_id=user_id,
                kind=kind,
                content=content.for_member_added(
                    base_url=ctx.settings.spa_base_url,
                    project_id=event.project_id,
                    project_name=project.name if project else None,
                    actor_name=actor,
                ),
                source_id=envelope.id,
                project_id=event.project_id,
                actor_id=envelope.actorid,
            )
            for user_id, kind in targets.items()
        ]
        await notify(session, ctx, planned)

    async def webhook_disabled(
        session: AsyncSession, envelope: Envelope, event: WebhookDisabled
    ) -> None:
        """The project's owners and admins (as tasks listed them) learn that a hook is off."""
        project = await projections.project(session, event.project_id)
        note = content.for_webhook_disabled(
            base_url=ctx.settings.spa_base_url,
            project_id=event.project_id,
            project_name=project.name if project else None,
            url_host=event.url_host,
        )
        planned = [
            Planned(
                user_id=user_id,
                kind=Kind.WEBHOOK_DISABLED,
                content=note,
                source_id=envelope.id,
                project_id=event.project_id,
                data={"webhook_id": str(event.webhook_id)},
            )
            for user_id in event.admin_ids
        ]
        await notify(session, ctx, planned)

    async def comment_added(session: AsyncSession, envelope: Envelope, event: CommentAdded) -> None:
        task = await projections.task(session, event.task_id)
        members = await projections.members(session, event.project_id)
        targets = recipients.for_comment(
            actor_id=envelope.actorid or event.author_id,
            assignees=task.assignee_ids if task else (),
            watchers=task.watcher_ids if task else (),
            mentions=event.mentions,
            members=members or None,
        )
        if not targets:
            return
        author = envelope.actorid or event.author_id
        known = await projections.people(session, [*targets, author])
        actor = _name(known[0], author)
        planned = [
            Planned(
                user_id=user_id,
                kind=kind,
                content=content.for_comment(
                    kind,
                    base_url=ctx.settings.spa_base_url,
                    project_id=event.project_id,
                    task_id=event.task_id,
                    key=event.task_key,
                    title=event.task_title,
                    actor_name=actor,
                    excerpt=event.body,
                ),
                source_id=envelope.id,
                project_id=event.project_id,
                task_id=event.task_id,
                actor_id=author,
                data={"event_type": envelope.type, "comment_id": str(event.comment_id)},
            )
            for user_id, kind in targets.items()
        ]
        await notify(session, ctx, planned, people=known)

    return {
        "project.member_added": member_added,
        "webhook.disabled": webhook_disabled,
        "comment.added": comment_added,
    }


def task_step(ctx: Context) -> TaskStep:
    """Notify who is involved in a task event (stale ones too: it still happened)."""

    async def notify_task(
        session: AsyncSession, envelope: Envelope, event: TaskEvent, change: TaskChange
    ) -> None:
        targets = task_recipients(envelope, event)
        mentions = event.mentions if isinstance(event, TaskCreated | TaskUpdated) else []
        if mentions:
            members = await projections.members(session, event.task.project_id)
            targets = recipients.with_mentions(envelope.actorid, targets, mentions, members or None)
        if not targets:
            return
        snap = event.task
        # One lookup serves the actor's name and the recipients' addresses.
        known = await projections.people(session, [*targets, *_opt(envelope.actorid)])
        actor = _name(known[0], envelope.actorid)
        blocker, may_see_blocker = None, set(targets)
        if isinstance(event, TaskUnblocked):
            blocker = f"{event.blocker.key} {event.blocker.title}"
            if event.blocker.project_id != snap.project_id:
                # A blocker in another project is named only to who may read that project.
                may_see_blocker = await projections.members(session, event.blocker.project_id)
        planned = [
            Planned(
                user_id=user_id,
                kind=kind,
                content=content.for_task(
                    kind,
                    event_type=envelope.type,
                    base_url=ctx.settings.spa_base_url,
                    project_id=snap.project_id,
                    task_id=snap.task_id,
                    key=snap.key,
                    title=snap.title,
                    actor_name=actor,
                    due_at=snap.due_at,
                    status=snap.status,
                    blocker=blocker if user_id in may_see_blocker else None,
                ),
                source_id=envelope.id,
                project_id=snap.project_id,
                task_id=snap.task_id,
                actor_id=envelope.actorid,
                data={"event_type": envelope.type, "task_key": snap.key},
            )
            for user_id, kind in targets.items()
        ]
        await notify(session, ctx, planned, people=known)

    return notify_task


def task_recipients(envelope: Envelope, event: TaskEvent) -> dict[uuid.UUID, Kind]:
    """Who hears of a task event, and as which kind; never the actor."""
    snap = event.task
    actor = envelope.actorid
    kind = envelope.type
    assignees, watchers = snap.assignee_ids, snap.watcher_ids
    if kind == "task.created":
        return recipients.for_task_change(
            kind, actor_id=actor, assignees=assignees, watchers=(), previous_assignees=None
        )
    if isinstance(event, TaskAssigned):
        return recipients.decide(actor, [(Kind.TASK_ASSIGNED, [event.assignee_id])])
    if isinstance(event, TaskUnblocked):
        # Whoever closed the last blocker need not hear it; the assignees must.
        return recipients.decide(actor, [(Kind.TASK_UNBLOCKED, assignees)])
    if isinstance(event, TaskDependencyAdded | TaskDependencyRemoved):
        return {}  # shown live on the board; not worth a notice
    if isinstance(event, TaskUnassigned):
        return recipients.decide(actor, [(Kind.TASK_UPDATED, [event.assignee_id])])
    if kind == "task.updated":
        assert isinstance(event, TaskUpdated)
        if not set(event.changes) - _QUIET_FIELDS:
            return {}
        return recipients.for_task_change(
            kind,
            actor_id=actor,
            assignees=assignees,
            watchers=watchers,
            previous_assignees=assignees,
            due_changed="due_at" in event.changes,
        )
    if kind == "task.status_changed":
        # Reaching or leaving done has its own events (completed / reopened).
        # By category: a project's done column may have any name.
        assert isinstance(event, TaskStatusChanged)
        after = category_of(event.after, event.after_category)
        prior = category_of(event.before, event.before_category)
        if after == "done" or prior == "done":
            return {}
    return recipients.for_task_change(
        kind,
        actor_id=actor,
        assignees=assignees,
        watchers=watchers,
        previous_assignees=assignees,
    )


async def _actor_name(session: AsyncSession, actor_id: uuid.UUID | None) -> str | None:
    if actor_id is None:
        return None
    user = (await projections.users(session, [actor_id])).get(actor_id)
    return user.display_name if user else None


def _opt(value: uuid.UUID | None) -> list[uuid.UUID]:
    return [value] if value is not None else []


def _name(users: dict[uuid.UUID, UserProjection], user_id: uuid.UUID | None) -> str | None:
    user = users.get(user_id) if user_id is not None else None
    return user.display_name if user else None
