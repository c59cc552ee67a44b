"""The consumer's handlers: one function per event type, all in the message's transaction.

Each handler updates the projections, decides recipients (`recipients.py`), stores
notifications and queues deliveries. The consumer framework records the event id in the inbox
in the same transaction, so a redelivered event changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.logging import get_logger
from taskflow.events.contracts.base import Event
from taskflow.events.contracts.comments import CommentAdded
from taskflow.events.contracts.projects import (
    ProjectCreated,
    ProjectMemberAdded,
    ProjectMemberRemoved,
    ProjectMemberRoleChanged,
    ProjectUpdated,
)
from taskflow.events.contracts.tasks import (
    TaskAssigned,
    TaskCreated,
    TaskDependencyAdded,
    TaskDependencyRemoved,
    TaskEvent,
    TaskSnapshot,
    TaskStatusChanged,
    TaskUnassigned,
    TaskUnblocked,
    TaskUpdated,
    category_of,
)
from taskflow.events.contracts.users import (
    UserEmailChangeRequested,
    UserPasswordResetRequested,
    UserRegistered,
    UserUpdated,
    UserVerificationRequested,
)
from taskflow.events.contracts.webhooks import WebhookDisabled
from taskflow.events.envelope import Envelope
from taskflow.notifications import content, recipients
from taskflow.notifications.calendar import feed
from taskflow.notifications.context import Context
from taskflow.notifications.db import new_id
from taskflow.notifications.deliveries import email
from taskflow.notifications.deliveries import repository as deliveries
from taskflow.notifications.deliveries.state import Channel
from taskflow.notifications.notifications.service import Planned, notify
from taskflow.notifications.post_commit import on_commit
from taskflow.notifications.preferences import repository as preferences
from taskflow.notifications.preferences.schemas import Kind, channels_for
from taskflow.notifications.projections import repository as projections
from taskflow.notifications.projections.models import UserProjection
from taskflow.notifications.reminders import repository as reminders
from taskflow.notifications.reminders.schedule import wanted

log = get_logger(__name__)

Handler = Callable[[AsyncSession, Envelope, Any], Awaitable[None]]

#: The service's own queue.
QUEUE = "notifications.events"
#: Routing keys the notifications queue is bound to.
BINDINGS = ("user.*", "project.*", "task.*", "comment.*", "webhook.disabled")

#: task.updated fields that have their own events (or do not interest people).
_QUIET_FIELDS = frozenset(
    {
        "assignee_ids", "status", "status_id", "status_category", "completed_at", "updated_at",
        "version",
    }
)  # fmt: skip


def reminder_times(snapshot: TaskSnapshot) -> list[datetime]:
    """Absolute reminder times of a task (relative ones need a due date)."""
    out: list[datetime] = []
    for r in snapshot.reminders:
        if r.at is not None:
            out.append(r.at)
        elif r.before_minutes is not None and snapshot.due_at is not None:
            out.append(snapshot.due_at - timedelta(minutes=r.before_minutes))
    return sorted(set(out))


def _blocker_label(event: TaskEvent) -> str | None:
    if isinstance(event, TaskUnblocked):
        return f"{event.blocker.key} {event.blocker.title}"
    return None


def is_open(snapshot: TaskSnapshot) -> bool:
    """Still to be done: reminders and overdue notices ask the status category, not its name
    (a project may call its done column anything)."""
    return not snapshot.is_closed and snapshot.deleted_at is None


class Handlers:
    """Dispatch by event type; `__call__` is the consumer's handler."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.table: dict[str, Handler] = {
            "user.registered": self.user_registered,
            "user.updated": self.user_updated,
            "user.deactivated": self.user_deactivated,
            "user.verification_requested": self.verification_requested,
            "user.password_reset_requested": self.password_reset_requested,
            "user.email_change_requested": self.email_change_requested,
            "project.created": self.project_created,
            "project.updated": self.project_updated,
            "project.member_added": self.member_added,
            "project.member_role_changed": self.member_role_changed,
            "project.member_removed": self.member_removed,
            "comment.added": self.comment_added,
            "webhook.disabled": self.webhook_disabled,
        }

    async def __call__(self, session: AsyncSession, envelope: Envelope, event: Event) -> None:
        if isinstance(event, TaskEvent):
            await self.task_event(session, envelope, event)
        else:
            handler = self.table.get(envelope.type)
            if handler is not None:
                await handler(session, envelope, event)
        project_id = event.project_ref()
        if project_id is not None:
            self._push_event(session, envelope, event, project_id)

    # -- live -------------------------------------------------------------------------------

    def _push_event(
        self, session: AsyncSession, envelope: Envelope, event: Event, project_id: uuid.UUID
    ) -> None:
        """After commit, tell open boards of the project's members what changed."""
        message = {
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
        on_commit(session, lambda: self.ctx.publisher.to_project(project_id, message))

    # -- users ------------------------------------------------------------------------------

    async def user_registered(
        self, session: AsyncSession, envelope: Envelope, event: UserRegistered
    ) -> None:
        await projections.upsert_user(
            session,
            event.user_id,
            email=event.email,
            display_name=event.display_name,
            timezone=event.timezone,
            email_verified=event.email_verified,
            active=True,
            updated_at=envelope.time,
        )

    async def user_updated(
        self, session: AsyncSession, envelope: Envelope, event: UserUpdated
    ) -> None:
        await projections.upsert_user(
            session,
            event.user_id,
            email=event.email,
            display_name=event.display_name,
            timezone=event.timezone,
            email_verified=event.email_verified,
            active=event.is_active,
            updated_at=envelope.time,
        )
        if not event.is_active:
            await feed.revoke(session, event.user_id)

    async def user_deactivated(self, session: AsyncSession, envelope: Envelope, event: Any) -> None:
        await projections.upsert_user(
            session, event.user_id, active=False, updated_at=envelope.time
        )
        # The feed URL is a bearer secret held by calendar apps: it ends with the account,
        # and a reactivated user must make a new one.
        await feed.revoke(session, event.user_id)

    async def verification_requested(
        self, session: AsyncSession, envelope: Envelope, event: UserVerificationRequested
    ) -> None:
        """The one mail that goes to an unverified address: the link that verifies it."""
        mail = email.render(
            "verification",
            "Confirm your email address",
            name=event.display_name,
            url=event.verify_url,
            base_url=self.ctx.settings.spa_base_url,
        )
        await self._account_mail(
            session, envelope, event.user_id, event.email, "verification", mail
        )

    async def password_reset_requested(
        self, session: AsyncSession, envelope: Envelope, event: UserPasswordResetRequested
    ) -> None:
        """Reset links go only to an address we know is verified."""
        user = (await projections.users(session, [event.user_id])).get(event.user_id)
        verified = (
            user is not None
            and user.email_verified
            and (user.email or "").lower() == event.email.lower()
        )
        if not verified:
            log.info("reset_mail_skipped_unverified", user_id=str(event.user_id))
            return
        mail = email.render(
            "password_reset",
            "Reset your Taskflow password",
            name=event.display_name,
            url=event.reset_url,
            base_url=self.ctx.settings.spa_base_url,
        )
        await self._account_mail(
            session, envelope, event.user_id, event.email, "password_reset", mail
        )

    async def email_change_requested(
        self, session: AsyncSession, envelope: Envelope, event: UserEmailChangeRequested
    ) -> None:
        """The confirmation link to the new address; a notice without it to the current one,
        so the owner hears of a change they did not ask for before anything changed."""
        expires = event.expires_at.strftime("%Y-%m-%d %H:%M UTC")
        link = email.render(
            "email_change",
            "Confirm your new email address",
            name=event.display_name,
            url=event.confirm_url,
            expires=expires,
            base_url=self.ctx.settings.spa_base_url,
        )
        await self._account_mail(
            session, envelope, event.user_id, event.email, "email_change", link
        )
        notice = email.render(
            "email_change_notice",
            "Your Taskflow address is about to change",
            name=event.display_name,
            new_email=event.email,
            base_url=self.ctx.settings.spa_base_url,
        )
        await self._account_mail(
            session,
            envelope,
            event.user_id,
            event.old_email,
            "email_change_notice",
            notice,
            dedupe="notice",
        )

    async def _account_mail(
        self,
        session: AsyncSession,
        envelope: Envelope,
        user_id: uuid.UUID,
        to: str,
        kind: str,
        mail: email.RenderedMail,
        *,
        dedupe: str = "",
    ) -> None:
        now = self.ctx.clock()
        payload = mail.as_payload()
        # The payload holds a one-time link: the sender clears it once the mail went out.
        payload["sensitive"] = True
        await deliveries.enqueue(
            session,
            [
                {
                    "id": new_id(),
                    "channel": Channel.EMAIL.value,
                    "kind": kind,
                    "user_id": user_id,
                    "recipient": to,
                    # One event may send two account mails (email change): each its own key.
                    "dedupe_key": f"email:{envelope.id}" + (f":{dedupe}" if dedupe else ""),
                    "payload": payload,
                    "status": "pending",
                    "max_attempts": self.ctx.settings.delivery_max_attempts,
                    "next_attempt_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
            ],
        )

        async def wake() -> None:
            self.ctx.wake_sender()

        on_commit(session, wake)

    # -- projects ---------------------------------------------------------------------------

    async def project_created(
        self, session: AsyncSession, envelope: Envelope, event: ProjectCreated
    ) -> None:
        await projections.upsert_project(session, event.project_id, key=event.key, name=event.name)

    async def project_updated(
        self, session: AsyncSession, envelope: Envelope, event: ProjectUpdated
    ) -> None:
        values: dict[str, Any] = {}
        for name in ("name", "key"):
            change = event.changes.get(name)
            if change is not None and isinstance(change.after, str):
                values[name] = change.after
        await projections.upsert_project(session, event.project_id, **values)

    async def member_added(
        self, session: AsyncSession, envelope: Envelope, event: ProjectMemberAdded
    ) -> None:
        await projections.add_member(session, event.project_id, event.user_id, event.role)
        project = await projections.project(session, event.project_id)
        targets = recipients.for_member_added(envelope.actorid, event.user_id)
        actor = await self._actor_name(session, envelope.actorid)
        planned = [
            Planned(
                user_id=user_id,
                kind=kind,
                content=content.for_member_added(
                    base_url=self.ctx.settings.spa_base_url,
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
        await notify(session, self.ctx, planned)
        join = {"type": "_join", "project_id": str(event.project_id)}
        on_commit(session, lambda: self.ctx.publisher.to_user(event.user_id, join))

    async def member_role_changed(
        self, session: AsyncSession, envelope: Envelope, event: ProjectMemberRoleChanged
    ) -> None:
        await projections.add_member(session, event.project_id, event.user_id, event.after)

    async def member_removed(
        self, session: AsyncSession, envelope: Envelope, event: ProjectMemberRemoved
    ) -> None:
        await projections.remove_member(session, event.project_id, event.user_id)
        leave = {"type": "_leave", "project_id": str(event.project_id)}
        on_commit(session, lambda: self.ctx.publisher.to_user(event.user_id, leave))

    async def webhook_disabled(
        self, session: AsyncSession, envelope: Envelope, event: WebhookDisabled
    ) -> None:
        """The project's owners and admins (as tasks listed them) learn that a hook is off."""
        project = await projections.project(session, event.project_id)
        note = content.for_webhook_disabled(
            base_url=self.ctx.settings.spa_base_url,
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
        await notify(session, self.ctx, planned)

    # -- tasks ------------------------------------------------------------------------------

    async def task_event(self, session: AsyncSession, envelope: Envelope, event: TaskEvent) -> None:
        """Apply the snapshot, notify who is involved, keep reminders and calendars in step."""
        snap = event.task
        applied, prev = await projections.apply_task(
            session, snap.task_id, _snapshot_values(snap, envelope.time)
        )
        stale = not applied
        before = _Before.of(prev)
        targets = self._task_recipients(envelope, event, before)
        mentions = event.mentions if isinstance(event, TaskCreated | TaskUpdated) else []
        if mentions:
            members = await projections.members(session, snap.project_id)
            targets = recipients.with_mentions(envelope.actorid, targets, mentions, members or None)
        if targets:
            # One lookup serves the actor's name and the recipients' addresses.
            known = await projections.people(session, [*targets, *_opt(envelope.actorid)])
            actor = _name(known[0], envelope.actorid)
            planned = []
            for user_id, kind in targets.items():
                words = content.for_task(
                    kind,
                    event_type=envelope.type,
                    base_url=self.ctx.settings.spa_base_url,
                    project_id=snap.project_id,
                    task_id=snap.task_id,
                    key=snap.key,
                    title=snap.title,
                    actor_name=actor,
                    due_at=snap.due_at,
                    status=snap.status,
                    blocker=_blocker_label(event),
                )
                planned.append(
                    Planned(
                        user_id=user_id,
                        kind=kind,
                        content=words,
                        source_id=envelope.id,
                        project_id=snap.project_id,
                        task_id=snap.task_id,
                        actor_id=envelope.actorid,
                        data={"event_type": envelope.type, "task_key": snap.key},
                    )
                )
            await notify(session, self.ctx, planned, people=known)
        if stale:
            return
        open_ = is_open(snap)
        times = reminder_times(snap)
        if before.due_at is not None or before.reminders or snap.due_at or times:
            await self._sync_reminders(session, envelope, snap, open_, times)
        await self._sync_calendar(session, envelope, snap, before)

    async def _sync_reminders(
        self,
        session: AsyncSession,
        envelope: Envelope,
        snap: TaskSnapshot,
        open_: bool,
        times: list[datetime],
    ) -> None:
        """Keep the task's reminder rows in step (skipped for tasks that never had a date)."""
        await reminders.sync(
            session,
            snap.task_id,
            wanted(open_=open_, due_at=snap.due_at, reminders=times, assignees=snap.assignee_ids),
            not_before=envelope.time,
        )

    def _task_recipients(
        self, envelope: Envelope, event: TaskEvent, before: _Before
    ) -> dict[uuid.UUID, Kind]:
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

    async def _sync_calendar(
        self, session: AsyncSession, envelope: Envelope, snap: TaskSnapshot, before: _Before
    ) -> None:
        """Queue a calendar update for each affected assignee who has the calendar channel on.

        The delivery only names the user and the task: the sender reads the task's state at
        send time, so an older queued update can never undo a newer one.
        """
        if self.ctx.settings.caldav_url is None:
            return
        open_ = is_open(snap)
        relevant = (
            before.missing
            or before.due_at != snap.due_at
            or before.title != snap.title
            or before.open != open_
            or set(before.assignees) != set(snap.assignee_ids)
        )
        if not relevant or (snap.due_at is None and before.due_at is None):
            return
        users = set(snap.assignee_ids) | set(before.assignees)
        prefs = await preferences.for_users(session, users)
        now = self.ctx.clock()
        rows = []
        for user_id in users:
            pref = prefs.get(user_id)
            if not channels_for(pref.kinds if pref else None, Kind.TASK_DUE).calendar:
                continue
            rows.append(
                {
                    "id": new_id(),
                    "channel": Channel.CALENDAR.value,
                    "kind": "calendar_sync",
                    "user_id": user_id,
                    "task_id": snap.task_id,
                    "dedupe_key": f"calendar:{envelope.id}:{user_id}",
                    "payload": {"task_id": str(snap.task_id)},
                    "status": "pending",
                    "max_attempts": self.ctx.settings.delivery_max_attempts,
                    "next_attempt_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        if rows:
            await deliveries.enqueue(session, rows)

            async def wake() -> None:
                self.ctx.wake_sender()

            on_commit(session, wake)

    # -- comments ---------------------------------------------------------------------------

    async def comment_added(
        self, session: AsyncSession, envelope: Envelope, event: CommentAdded
    ) -> None:
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
                    base_url=self.ctx.settings.spa_base_url,
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
                actor_id=envelope.actorid or event.author_id,
                data={"event_type": envelope.type, "comment_id": str(event.comment_id)},
            )
            for user_id, kind in targets.items()
        ]
        await notify(session, self.ctx, planned, people=known)

    async def _actor_name(self, session: AsyncSession, actor_id: uuid.UUID | None) -> str | None:
        if actor_id is None:
            return None
        user = (await projections.users(session, [actor_id])).get(actor_id)
        return user.display_name if user else None


class _Before:
    """What the projection knew of a task before this event."""

    def __init__(
        self,
        *,
        missing: bool,
        due_at: datetime | None = None,
        title: str | None = None,
        open_: bool = False,
        assignees: list[uuid.UUID] | None = None,
        reminders: bool = False,
    ) -> None:
        self.missing = missing
        self.reminders = reminders
        self.due_at = due_at
        self.title = title
        self.open = open_
        self.assignees = list(assignees or [])

    @classmethod
    def of(cls, row: dict[str, Any] | None) -> _Before:
        if row is None:
            return cls(missing=True)
        return cls(
            missing=False,
            due_at=row["due_at"],
            title=row["title"],
            open_=not row["done"] and not row["deleted"],
            assignees=list(row["assignee_ids"] or []),
            reminders=bool(row["reminders"]),
        )


def _snapshot_values(snap: TaskSnapshot, now: datetime) -> dict[str, Any]:
    """The projection's columns for a snapshot."""
    return {
        "project_id": snap.project_id,
        "key": snap.key,
        "title": snap.title,
        "status": snap.status,
        "done": snap.is_closed,
        "deleted": snap.deleted_at is not None,
        "due_at": snap.due_at,
        "assignee_ids": list(snap.assignee_ids),
        "watcher_ids": list(snap.watcher_ids),
        "reminders": [r.model_dump(mode="json") for r in snap.reminders],
        "version": snap.version,
        "updated_at": now,
    }


def _opt(value: uuid.UUID | None) -> list[uuid.UUID]:
    return [value] if value is not None else []


def _name(users: dict[uuid.UUID, UserProjection], user_id: uuid.UUID | None) -> str | None:
    user = users.get(user_id) if user_id is not None else None
    return user.display_name if user else None
