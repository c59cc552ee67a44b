"""The words of a notification (title, body, link into the SPA), per kind. Pure functions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from taskflow.notifications.preferences.schemas import Kind


@dataclass(frozen=True)
class Content:
    """What a notification says, in-app and as the core of its mail."""

    title: str
    body: str
    link: str | None


def task_link(base_url: str, project_id: uuid.UUID | None, task_id: uuid.UUID) -> str:
    """The SPA page of a task."""
    if project_id is None:
        return f"{base_url.rstrip('/')}/tasks/{task_id}"
    return f"{base_url.rstrip('/')}/projects/{project_id}/tasks/{task_id}"


def project_link(base_url: str, project_id: uuid.UUID) -> str:
    """The SPA page of a project."""
    return f"{base_url.rstrip('/')}/projects/{project_id}"


def _label(key: str | None, title: str) -> str:
    return f"{key} {title}" if key else title


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "no due date"


def for_task(
    kind: Kind,
    *,
    event_type: str,
    base_url: str,
    project_id: uuid.UUID | None,
    task_id: uuid.UUID,
    key: str | None,
    title: str,
    actor_name: str | None,
    due_at: datetime | None = None,
    status: str | None = None,
    late: bool = False,
    blocker: str | None = None,
) -> Content:
    """Content of a task-related notification."""
    who = actor_name or "Someone"
    label = _label(key, title)
    link = task_link(base_url, project_id, task_id)
    match kind:
        case Kind.MENTIONED:
            # Only a task's description mentions people in a task.* event.
            return Content(f"{who} mentioned you in the description of {label}", "", link)
        case Kind.TASK_ASSIGNED:
            return Content(f"{who} assigned you {label}", f"Due: {_when(due_at)}", link)
        case Kind.TASK_COMPLETED:
            return Content(f"{who} completed {label}", "", link)
        case Kind.TASK_UNBLOCKED:
            done = f"{blocker} is finished" if blocker else "Its last blocker is finished"
            return Content(f"{label} is no longer blocked", f"{done}: you can start.", link)
        case Kind.TASK_DUE:
            return Content(f"{who} changed the due date of {label}", f"Due: {_when(due_at)}", link)
        case Kind.REMINDER:
            note = (
                " (sent late: the reminder was missed while the service was down)" if late else ""
            )
            return Content(f"Reminder: {label}", f"Due: {_when(due_at)}{note}", link)
        case Kind.OVERDUE:
            return Content(f"Overdue: {label}", f"It was due {_when(due_at)}.", link)
        case _:
            what = {
                "task.deleted": "deleted",
                "task.restored": "restored",
                "task.reopened": "reopened",
                "task.unassigned": "changed the assignees of",
                "task.status_changed": f"moved to {status}" if status else "changed",
            }.get(event_type, "updated")
            if event_type == "task.status_changed" and status:
                return Content(f"{who} moved {label} to {status}", "", link)
            if event_type == "task.moved":
                # The label carries the new key (the old one redirects to it).
                return Content(f"{who} moved {label} to another project", "", link)
            return Content(f"{who} {what} {label}", "", link)


def for_comment(
    kind: Kind,
    *,
    base_url: str,
    project_id: uuid.UUID | None,
    task_id: uuid.UUID,
    key: str | None,
    title: str,
    actor_name: str | None,
    excerpt: str,
) -> Content:
    """Content of comment.added for a mentioned user or an involved one."""
    who = actor_name or "Someone"
    label = _label(key, title)
    verb = "mentioned you on" if kind == Kind.MENTIONED else "commented on"
    return Content(f"{who} {verb} {label}", excerpt[:280], task_link(base_url, project_id, task_id))


def for_member_added(
    *, base_url: str, project_id: uuid.UUID, project_name: str | None, actor_name: str | None
) -> Content:
    """Content of project.member_added for the new member."""
    who = actor_name or "Someone"
    name = project_name or "a project"
    return Content(f"{who} added you to {name}", "", project_link(base_url, project_id))


def for_webhook_disabled(
    *, base_url: str, project_id: uuid.UUID, project_name: str | None, url_host: str
) -> Content:
    """Content of webhook.disabled for the project's admins."""
    name = project_name or "a project"
    return Content(
        f"A webhook of {name} was turned off",
        f"Deliveries to {url_host} kept failing for days, so the webhook was deactivated. "
        "Fix the receiver, then turn the webhook on again and redeliver what failed.",
        project_link(base_url, project_id),
    )
