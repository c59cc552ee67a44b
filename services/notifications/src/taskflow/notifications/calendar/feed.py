"""The private ICS feed: a rotating secret per user, stored only as its SHA-256."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.errors import NotFound
from taskflow.notifications.calendar import repository
from taskflow.notifications.calendar.ics import TaskEntry, calendar
from taskflow.notifications.content import task_link
from taskflow.notifications.projections import repository as projections
from taskflow.notifications.projections.models import TaskProjection

FEED_PATH = "/api/v1/calendar/feeds/{secret}.ics"


def hash_secret(secret: str) -> str:
    """SHA-256 hex of a feed secret (high-entropy, so no salt or slow hash is needed)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def entry_for(task: TaskProjection, base_url: str) -> TaskEntry:
    """A task projection as a calendar entry (reminders become VALARMs)."""
    assert task.due_at is not None
    times: list[datetime] = []
    for r in task.reminders or []:
        if isinstance(r, dict):
            if r.get("at"):
                times.append(datetime.fromisoformat(str(r["at"])))
            elif r.get("before_minutes") is not None:
                times.append(task.due_at - timedelta(minutes=int(r["before_minutes"])))
    return TaskEntry(
        task_id=task.id,
        title=task.title,
        key=task.key,
        due_at=task.due_at,
        link=task_link(base_url, task.project_id, task.id),
        version=task.version,
        reminders=sorted(times),
    )


async def rotate(session: AsyncSession, user_id: uuid.UUID) -> str:
    """Make a new secret for the user (the old URL stops working) and return it."""
    secret = secrets.token_urlsafe(32)
    await repository.set_feed_secret(session, user_id, hash_secret(secret))
    return secret


async def revoke(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Forget the user's feed secret: its URL stops working (a deactivated account)."""
    await repository.delete_feed(session, user_id)


async def render(session: AsyncSession, secret: str, *, base_url: str, now: datetime) -> bytes:
    """The feed of the secret's owner; 404 for an unknown secret (no hint whether it existed)
    and for an owner known to be deactivated (the secret is also deleted when that is learnt,
    this covers a secret made while the deactivation was in flight)."""
    user_id = await repository.feed_owner(session, hash_secret(secret))
    if user_id is None:
        raise NotFound("No such feed.", code="feed_not_found")
    tasks = await projections.open_tasks_due_for(session, user_id)
    return calendar([entry_for(t, base_url) for t in tasks], stamp=now, name="Taskflow")
