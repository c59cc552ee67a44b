"""Domain objects -> event contracts of `taskflow.events`, and the one way to emit them.

Every emit happens after the aggregate row was locked (`FOR NO KEY UPDATE`) in the same
transaction as the state change, so events of one aggregate enter the outbox in commit order.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.events.contracts.base import Event, FieldChange
from taskflow.events.contracts.projects import (
    ProjectArchived,
    ProjectCreated,
    ProjectDeleted,
    ProjectMemberAdded,
    ProjectMemberRemoved,
    ProjectMemberRoleChanged,
    ProjectRestored,
    ProjectUpdated,
)
from taskflow.tasks.db import OUTBOX
from taskflow.tasks.projects.models import Member, Project


async def emit(db: AsyncSession, event: Event, actor_id: uuid.UUID | None) -> None:
    """Write the event to the outbox in the caller's transaction."""
    await OUTBOX.add(db, event, actor_id=actor_id)


def changes_of(diff: dict[str, dict[str, Any]]) -> dict[str, FieldChange]:
    """An activity diff as the contracts' `FieldChange` map."""
    return {k: FieldChange(before=v["before"], after=v["after"]) for k, v in diff.items()}


def project_created(p: Project) -> ProjectCreated:
    return ProjectCreated(
        project_id=p.id,
        key=p.key,
        name=p.name,
        description=p.description,
        owner_id=p.created_by,
        status=p.status,
        health=p.health,
        start_date=p.start_date,
        target_date=p.target_date,
    )


def project_updated(p: Project, diff: dict[str, dict[str, Any]]) -> ProjectUpdated:
    return ProjectUpdated(project_id=p.id, changes=changes_of(diff), version=p.version)


def project_archived(p: Project) -> ProjectArchived:
    return ProjectArchived(project_id=p.id)


def project_deleted(p: Project) -> ProjectDeleted:
    return ProjectDeleted(project_id=p.id)


def project_restored(p: Project) -> ProjectRestored:
    return ProjectRestored(project_id=p.id)


def member_added(p: Project, m: Member) -> ProjectMemberAdded:
    return ProjectMemberAdded(project_id=p.id, user_id=m.user_id, role=m.role)


def member_role_changed(p: Project, m: Member, before: str) -> ProjectMemberRoleChanged:
    return ProjectMemberRoleChanged(
        project_id=p.id,
        user_id=m.user_id,
        before=before,
        after=m.role,
    )


def member_removed(p: Project, user_id: uuid.UUID, role: str) -> ProjectMemberRemoved:
    return ProjectMemberRemoved(project_id=p.id, user_id=user_id, role=role)


# --- tasks, comments, milestones ----------------------------------------------------------

from taskflow.events.contracts.comments import CommentAdded, CommentDeleted, CommentEdited  # noqa: E402
from taskflow.events.contracts.milestones import MilestoneCreated, MilestoneUpdated  # noqa: E402
from taskflow.events.contracts.tasks import (  # noqa: E402
    TaskAssigned,
    TaskCompleted,
    TaskCreated,
    TaskDeleted,
    TaskReopened,
    TaskRestored,
    TaskSnapshot,
    TaskStatusChanged,
    TaskUnassigned,
    TaskUpdated,
)
from taskflow.tasks.comments.models import Comment  # noqa: E402
from taskflow.tasks.milestones.models import Milestone  # noqa: E402
from taskflow.tasks.tasks.models import PRIORITIES, Task  # noqa: E402


def snapshot(t: Task, key: str) -> TaskSnapshot:
    """The task after the change, as every `task.*` event carries it."""
    return TaskSnapshot.model_validate(
        {
            "task_id": t.id,
            "project_id": t.project_id,
            "key": f"{key}-{t.number}",
            "number": t.number,
            "title": t.title,
            "status": t.status,
            "status_id": t.status_id,
            "status_category": t.status_category,
            "priority": PRIORITIES[t.priority],
            "assignee_ids": list(t.assignee_ids or []),
            "watcher_ids": list(t.watcher_ids or []),
            "label_ids": list(t.label_ids or []),
            "due_at": t.due_at,
            "start_at": t.start_at,
            "reminders": list(t.reminders or []),
            "recurrence": t.recurrence,
            "parent_id": t.parent_id,
            "milestone_id": t.milestone_id,
            "estimate_minutes": t.estimate_minutes,
            "progress": t.progress,
            "created_by": t.created_by,
            "created_at": t.created_at,
            "updated_at": t.updated_at,
            "completed_at": t.completed_at,
            "deleted_at": t.deleted_at,
            "version": t.version,
        }
    )


def task_created(t: Task, key: str, mentions: list[uuid.UUID] | None = None) -> TaskCreated:
    return TaskCreated(task=snapshot(t, key), mentions=mentions or [])


def task_deleted(t: Task, key: str) -> TaskDeleted:
    return TaskDeleted(task=snapshot(t, key))


def task_restored(t: Task, key: str) -> TaskRestored:
    return TaskRestored(task=snapshot(t, key))


def task_change_events(
    t: Task,
    key: str,
    diff: dict[str, dict[str, Any]],
    before: dict[str, Any],
    mentions: list[uuid.UUID] | None = None,
) -> list[Event]:
    """`task.updated` with the diff, then the specific events the diff implies."""
    snap = snapshot(t, key)
    out: list[Event] = [TaskUpdated(task=snap, changes=changes_of(diff), mentions=mentions or [])]
    if "assignee_ids" in diff:
        old = set(before.get("assignee_ids") or [])
        new = set(t.assignee_ids or [])
        out += [TaskAssigned(task=snap, assignee_id=u) for u in t.assignee_ids if u not in old]
        out += [
            TaskUnassigned(task=snap, assignee_id=u) for u in before["assignee_ids"] if u not in new
        ]
    if "status_id" in diff:
        old_category = before["status_category"]
        out.append(
            TaskStatusChanged(
                task=snap,
                before=before["status"],
                after=t.status,
                before_id=before["status_id"],
                after_id=t.status_id,
                before_category=old_category,
                after_category=t.status_category,
            )
        )
        # Completion is the category, never a name: moving between two `done` statuses is
        # neither a completion nor a reopening.
        if t.status_category == "done" and old_category != "done":
            out.append(TaskCompleted(task=snap))
        elif old_category == "done" and t.status_category != "done":
            out.append(TaskReopened(task=snap))
    return out


def comment_added(c: Comment, key: str, title: str) -> CommentAdded:
    return CommentAdded(
        comment_id=c.id,
        task_id=c.task_id,
        project_id=c.project_id,
        author_id=c.author_id,
        body=c.body,
        mentions=list(c.mention_ids or []),
        task_key=key,
        task_title=title,
    )


def comment_edited(c: Comment, before: str) -> CommentEdited:
    """`comment.edited` after the body changed from `before` to `c.body`."""
    return CommentEdited(
        comment_id=c.id,
        task_id=c.task_id,
        project_id=c.project_id,
        body=c.body,
        mentions=list(c.mention_ids or []),
        version=c.version,
        changes={"body": FieldChange(before=before, after=c.body)},
    )


def comment_deleted(c: Comment) -> CommentDeleted:
    return CommentDeleted(comment_id=c.id, task_id=c.task_id, project_id=c.project_id)


def milestone_created(m: Milestone) -> MilestoneCreated:
    return MilestoneCreated(
        milestone_id=m.id,
        project_id=m.project_id,
        title=m.title,
        due_date=m.due_date,
        state=m.state,
    )


def milestone_updated(m: Milestone, diff: dict[str, dict[str, Any]]) -> MilestoneUpdated:
    return MilestoneUpdated(
        milestone_id=m.id, project_id=m.project_id, changes=changes_of(diff), version=m.version
    )
