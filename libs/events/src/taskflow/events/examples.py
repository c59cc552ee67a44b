"""One valid example of every contract: for tests (ours and the services'), docs and benchmarks.

``example(TaskCreated)`` returns a TaskCreated; ``examples()`` returns one of each registered
contract, and a test checks that none is missing, so a new contract must come with an example.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

from taskflow.events.contracts import (
    CommentAdded,
    CommentDeleted,
    CommentEdited,
    Event,
    FieldChange,
    MilestoneCreated,
    MilestoneUpdated,
    NotificationDeliveryFailed,
    ProjectArchived,
    ProjectCreated,
    ProjectDeleted,
    ProjectInvitationAccepted,
    ProjectInvitationCreated,
    ProjectInvitationMailRequested,
    ProjectInvitationRevoked,
    ProjectMemberAdded,
    ProjectMemberRemoved,
    ProjectMemberRoleChanged,
    ProjectRestored,
    ProjectUpdated,
    ProjectWorkflowChanged,
    Recurrence,
    Reminder,
    TaskAssigned,
    TaskCompleted,
    TaskCreated,
    TaskDeleted,
    TaskDependencyAdded,
    TaskDependencyRemoved,
    TaskMoved,
    TaskRef,
    TaskReopened,
    TaskRestored,
    TaskSnapshot,
    TaskStatusChanged,
    TaskUnassigned,
    TaskUnblocked,
    TaskUpdated,
    UserDeactivated,
    UserEmailChangeRequested,
    UserLoginFailed,
    UserMfaEnabled,
    UserPasswordResetRequested,
    UserRegistered,
    UserUpdated,
    UserVerificationRequested,
    WebhookDisabled,
    WorkflowStatus,
    registered_events,
)

E = TypeVar("E", bound=Event)

USER = UUID("0190a000-0000-7000-8000-000000000001")
OTHER_USER = UUID("0190a000-0000-7000-8000-000000000002")
PROJECT = UUID("0190a000-0000-7000-8000-000000000010")
TASK = UUID("0190a000-0000-7000-8000-000000000100")
COMMENT = UUID("0190a000-0000-7000-8000-000000001000")
MILESTONE = UUID("0190a000-0000-7000-8000-000000010000")
NOTIFICATION = UUID("0190a000-0000-7000-8000-000000100000")
DELIVERY = UUID("0190a000-0000-7000-8000-000001000000")
WEBHOOK = UUID("0190a000-0000-7000-8000-000010000000")
INVITATION = UUID("0190a000-0000-7000-8000-000100000000")
OTHER_PROJECT = UUID("0190a000-0000-7000-8000-000000000011")
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
STATUS_TODO = UUID("0190a000-0000-7000-8000-000010000001")
STATUS_DOING = UUID("0190a000-0000-7000-8000-000010000002")
STATUS_DONE = UUID("0190a000-0000-7000-8000-000010000004")
STATUS_REVIEW = UUID("0190a000-0000-7000-8000-000010000006")
_STATUS_IDS = {"todo": STATUS_TODO, "in_progress": STATUS_DOING, "done": STATUS_DONE}
_CATEGORIES = {"todo": "todo", "in_progress": "in_progress", "done": "done"}


def task_snapshot(task_id: UUID = TASK, project_id: UUID = PROJECT, **changes: Any) -> TaskSnapshot:
    """A plausible task state; keyword arguments override fields."""
    fields: dict[str, Any] = {
        "task_id": task_id,
        "project_id": project_id,
        "key": "OPS-12",
        "number": 12,
        "title": "Rotate the TLS certificates",
        "status": "in_progress",
        "priority": "high",
        "assignee_ids": [USER],
        "watcher_ids": [OTHER_USER],
        "label_ids": [],
        "due_at": NOW + timedelta(days=2),
        "start_at": NOW,
        "reminders": [Reminder(before_minutes=60), Reminder(at=NOW + timedelta(days=1))],
        "recurrence": Recurrence(rrule="FREQ=MONTHLY;BYMONTHDAY=1", mode="fixed"),
        "parent_id": None,
        "milestone_id": MILESTONE,
        "estimate_minutes": 90,
        "progress": 40,
        "created_by": USER,
        "created_at": NOW - timedelta(days=1),
        "updated_at": NOW,
        "completed_at": None,
        "deleted_at": None,
        "version": 3,
    }
    fields.update(changes)
    fields.setdefault("status_id", _STATUS_IDS.get(fields["status"]))
    fields.setdefault("status_category", _CATEGORIES.get(fields["status"]))
    return TaskSnapshot(**fields)


BLOCKER = UUID("0190a000-0000-7000-8000-000000001001")


def _blocker(status: str = "in_progress") -> TaskRef:
    return TaskRef(
        task_id=BLOCKER,
        project_id=PROJECT,
        key="OPS-11",
        title="Order the new certificates",
        status=status,
        status_category=_CATEGORIES.get(status),
    )


_FACTORIES: dict[type[Event], Callable[[], Event]] = {
    UserRegistered: lambda: UserRegistered(
        user_id=USER,
        email="ada@example.com",
        display_name="Ada",
        timezone="Europe/Zurich",
        locale="en",
        email_verified=False,
        roles=["user"],
    ),
    UserUpdated: lambda: UserUpdated(
        user_id=USER,
        changes={"display_name": FieldChange(before="Ada", after="Ada L.")},
        email="ada@example.com",
        display_name="Ada L.",
        timezone="Europe/Zurich",
        locale="en",
        email_verified=True,
        roles=["user", "auditor"],
        is_active=True,
    ),
    UserDeactivated: lambda: UserDeactivated(user_id=USER),
    UserMfaEnabled: lambda: UserMfaEnabled(user_id=USER),
    UserVerificationRequested: lambda: UserVerificationRequested(
        user_id=USER,
        email="ada@example.com",
        display_name="Ada",
        verify_url="https://taskflow.example/verify?token=one-time",
        expires_at=NOW + timedelta(hours=24),
    ),
    UserEmailChangeRequested: lambda: UserEmailChangeRequested(
        user_id=USER,
        email="ada@new.example",
        old_email="ada@example.com",
        display_name="Ada",
        confirm_url="https://taskflow.example/confirm-email?token=one-time",
        expires_at=NOW + timedelta(hours=24),
    ),
    UserPasswordResetRequested: lambda: UserPasswordResetRequested(
        user_id=USER,
        email="ada@example.com",
        display_name="Ada",
        reset_url="https://taskflow.example/reset?token=one-time",
        expires_at=NOW + timedelta(hours=1),
    ),
    UserLoginFailed: lambda: UserLoginFailed(
        user_id=None,
        email="nobody@example.com",
        ip="203.0.113.7",
        user_agent="curl/8",
        reason="unknown_email",
    ),
    ProjectCreated: lambda: ProjectCreated(
        project_id=PROJECT,
        key="OPS",
        name="Operations",
        description="Run the platform",
        owner_id=USER,
        status="active",
        health="on_track",
        start_date=date(2026, 11, 1),
        target_date=date(2027, 3, 31),
    ),
    ProjectUpdated: lambda: ProjectUpdated(
        project_id=PROJECT,
        changes={"health": FieldChange(before="on_track", after="at_risk")},
        version=4,
    ),
    ProjectWorkflowChanged: lambda: ProjectWorkflowChanged(
        project_id=PROJECT,
        change="status_added",
        status_id=STATUS_REVIEW,
        statuses=[
            WorkflowStatus(
                status_id=STATUS_TODO, name="todo", colour="#6b7280", category="todo", position=0
            ),
            WorkflowStatus(
                status_id=STATUS_DOING,
                name="in_progress",
                colour="#3b82f6",
                category="in_progress",
                position=1,
                wip_limit=5,
            ),
            WorkflowStatus(
                status_id=STATUS_REVIEW,
                name="In review",
                colour="#a855f7",
                category="in_progress",
                position=2,
                wip_limit=3,
            ),
            WorkflowStatus(
                status_id=STATUS_DONE, name="done", colour="#22c55e", category="done", position=3
            ),
        ],
    ),
    ProjectArchived: lambda: ProjectArchived(project_id=PROJECT),
    ProjectDeleted: lambda: ProjectDeleted(project_id=PROJECT),
    ProjectRestored: lambda: ProjectRestored(project_id=PROJECT),
    ProjectMemberAdded: lambda: ProjectMemberAdded(
        project_id=PROJECT, user_id=OTHER_USER, role="member"
    ),
    ProjectMemberRoleChanged: lambda: ProjectMemberRoleChanged(
        project_id=PROJECT, user_id=OTHER_USER, before="member", after="admin"
    ),
    ProjectMemberRemoved: lambda: ProjectMemberRemoved(
        project_id=PROJECT, user_id=OTHER_USER, role="admin"
    ),
    ProjectInvitationCreated: lambda: ProjectInvitationCreated(
        project_id=PROJECT,
        invitation_id=INVITATION,
        email="grace@example.com",
        role="member",
        invited_by=USER,
        expires_at=NOW + timedelta(days=14),
    ),
    ProjectInvitationRevoked: lambda: ProjectInvitationRevoked(
        project_id=PROJECT, invitation_id=INVITATION, email="grace@example.com"
    ),
    ProjectInvitationAccepted: lambda: ProjectInvitationAccepted(
        project_id=PROJECT,
        invitation_id=INVITATION,
        email="grace@example.com",
        user_id=OTHER_USER,
        role="member",
    ),
    ProjectInvitationMailRequested: lambda: ProjectInvitationMailRequested(
        project_id=PROJECT,
        invitation_id=INVITATION,
        email="grace@example.com",
        project_name="Operations",
        inviter_name="Ada",
        role="member",
        invite_url="https://taskflow.example/register?invite=one-time",
        expires_at=NOW + timedelta(days=14),
    ),
    TaskCreated: lambda: TaskCreated(task=task_snapshot(version=1)),
    TaskUpdated: lambda: TaskUpdated(
        task=task_snapshot(),
        changes={
            "title": FieldChange(before="Rotate certs", after="Rotate the TLS certificates"),
            "due_at": FieldChange(before=None, after=NOW + timedelta(days=2)),
        },
    ),
    TaskAssigned: lambda: TaskAssigned(task=task_snapshot(), assignee_id=USER),
    TaskUnassigned: lambda: TaskUnassigned(task=task_snapshot(assignee_ids=[]), assignee_id=USER),
    TaskStatusChanged: lambda: TaskStatusChanged(
        task=task_snapshot(),
        before="todo",
        after="in_progress",
        before_id=STATUS_TODO,
        after_id=STATUS_DOING,
        before_category="todo",
        after_category="in_progress",
    ),
    TaskCompleted: lambda: TaskCompleted(
        task=task_snapshot(status="done", completed_at=NOW, progress=100)
    ),
    TaskReopened: lambda: TaskReopened(task=task_snapshot(status="todo")),
    TaskDeleted: lambda: TaskDeleted(task=task_snapshot(deleted_at=NOW)),
    TaskDependencyAdded: lambda: TaskDependencyAdded(task=task_snapshot(), blocker=_blocker()),
    TaskDependencyRemoved: lambda: TaskDependencyRemoved(task=task_snapshot(), blocker=_blocker()),
    TaskUnblocked: lambda: TaskUnblocked(
        task=task_snapshot(status="todo"), blocker=_blocker("done")
    ),
    TaskRestored: lambda: TaskRestored(task=task_snapshot()),
    TaskMoved: lambda: TaskMoved(
        task=task_snapshot(project_id=OTHER_PROJECT, key="SEC-3", number=3, assignee_ids=[]),
        from_project_id=PROJECT,
        to_project_id=OTHER_PROJECT,
        from_key="OPS-12",
        dropped_label_ids=[UUID("0190a000-0000-7000-8000-000000000501")],
        removed_assignee_ids=[USER],
    ),
    CommentAdded: lambda: CommentAdded(
        comment_id=COMMENT,
        task_id=TASK,
        project_id=PROJECT,
        author_id=USER,
        body="@bob can you check the staging certs?",
        mentions=[OTHER_USER],
        task_key="OPS-12",
        task_title="Rotate the TLS certificates",
    ),
    CommentEdited: lambda: CommentEdited(
        comment_id=COMMENT,
        task_id=TASK,
        project_id=PROJECT,
        body="@bob can you check the prod certs?",
        mentions=[OTHER_USER],
        version=2,
    ),
    CommentDeleted: lambda: CommentDeleted(comment_id=COMMENT, task_id=TASK, project_id=PROJECT),
    MilestoneCreated: lambda: MilestoneCreated(
        milestone_id=MILESTONE,
        project_id=PROJECT,
        title="Q1 hardening",
        due_date=date(2027, 3, 31),
        state="open",
    ),
    MilestoneUpdated: lambda: MilestoneUpdated(
        milestone_id=MILESTONE,
        project_id=PROJECT,
        changes={"state": FieldChange(before="open", after="closed")},
        version=2,
    ),
    NotificationDeliveryFailed: lambda: NotificationDeliveryFailed(
        notification_id=NOTIFICATION,
        delivery_id=DELIVERY,
        user_id=USER,
        channel="email",
        attempts=8,
        last_error="SMTP 554 rejected",
    ),
    WebhookDisabled: lambda: WebhookDisabled(
        webhook_id=WEBHOOK,
        project_id=PROJECT,
        url_host="hooks.example.com",
        failing_since=NOW - timedelta(days=5),
        admin_ids=[USER],
    ),
}


def example(cls: type[E]) -> E:
    """A valid instance of contract ``cls``; raises KeyError when it has no example yet."""
    made = _FACTORIES[cls]()
    assert isinstance(made, cls)
    return made


def examples() -> list[Event]:
    """One example of every registered contract that has one."""
    return [_FACTORIES[cls]() for cls in registered_events() if cls in _FACTORIES]


def missing_examples() -> list[type[Event]]:
    """Registered contracts without an example (a test keeps this empty)."""
    return [cls for cls in registered_events() if cls not in _FACTORIES]
