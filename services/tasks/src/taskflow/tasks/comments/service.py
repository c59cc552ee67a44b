"""Rules of comments: @mentions resolved to member ids, author-only edits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.concurrency import check_version
from taskflow.common.errors import Forbidden
from taskflow.common.pagination import Page, PageParams
from taskflow.common.security import Principal
from taskflow.events.ids import uuid7
from taskflow.tasks import domain_events as ev
from taskflow.tasks.activity import service as activity
from taskflow.tasks.comments import repository as repo
from taskflow.tasks.comments.models import Comment
from taskflow.tasks.comments.schemas import CommentRead, to_read
from taskflow.tasks.mentions import resolve_mentions
from taskflow.tasks.projects.auth import ProjectAccess, not_found, project_access
from taskflow.tasks.tasks import repository as tasks_repo


async def add(
    db: AsyncSession, access: ProjectAccess, task_id: uuid.UUID, body: str
) -> CommentRead:
    """Post a comment on a live task (member or higher)."""
    access.require_writable()
    found = await tasks_repo.get_with_key(db, task_id)
    if found is None:
        raise not_found("task")
    task, key = found
    ts = datetime.now(UTC)
    c = Comment(
        id=uuid7(),
        task_id=task_id,
        project_id=task.project_id,
        author_id=access.user_id,
        body=body,
        mention_ids=await resolve_mentions(db, task.project_id, body),
        version=1,
        created_at=ts,
        updated_at=ts,
    )
    db.add(c)
    await db.flush()
    activity.record(
        db,
        project_id=c.project_id,
        task_id=task_id,
        actor_id=access.user_id,
        action="comment.added",
        changes={"comment_id": {"before": None, "after": str(c.id)}},
    )
    await ev.emit(db, ev.comment_added(c, f"{key}-{task.number}", task.title), access.user_id)
    return to_read(c)


async def list_for_task(
    db: AsyncSession, task_id: uuid.UUID, page: PageParams
) -> Page[CommentRead]:
    """Live comments of a task, oldest first."""
    result = await repo.page_of_task(db, task_id, page)
    return Page[CommentRead](
        items=[to_read(c) for c in result.items], next_cursor=result.next_cursor
    )


async def locked(
    db: AsyncSession, who: Principal, comment_id: uuid.UUID, role: str
) -> tuple[Comment, ProjectAccess]:
    """The live comment, locked, and the caller's access (404 for non-members)."""
    c = await repo.live_for_update(db, comment_id)
    if c is None:
        raise not_found("comment")
    access = await project_access(db, who, c.project_id, role, what="comment")
    return c, access


async def edit(
    db: AsyncSession, who: Principal, comment_id: uuid.UUID, body: str, expected: int | None
) -> CommentRead:
    """Change a comment's body (its author only)."""
    c, access = await locked(db, who, comment_id, "member")
    access.require_writable()
    if c.author_id != who.user_id:
        raise Forbidden("Only the author can edit a comment.", code="not_author")
    check_version(c, expected)
    if body != c.body:
        before = c.body
        c.body = body
        c.mention_ids = await resolve_mentions(db, c.project_id, body)
        c.version += 1
        c.edited_at = c.updated_at = datetime.now(UTC)
        activity.record(
            db,
            project_id=c.project_id,
            task_id=c.task_id,
            actor_id=who.user_id,
            action="comment.edited",
            changes={"body": {"before": before, "after": body}},
        )
        await ev.emit(db, ev.comment_edited(c, before), who.user_id)
    return to_read(c)


async def delete(
    db: AsyncSession, who: Principal, comment_id: uuid.UUID, expected: int | None
) -> None:
    """Soft-delete a comment (its author, or a project admin)."""
    c, access = await locked(db, who, comment_id, "member")
    access.require_writable()
    if c.author_id != who.user_id:
        access.require("admin")
    check_version(c, expected)
    c.deleted_at = c.updated_at = datetime.now(UTC)
    c.version += 1
    activity.record(
        db,
        project_id=c.project_id,
        task_id=c.task_id,
        actor_id=who.user_id,
        action="comment.deleted",
        changes={"comment_id": {"before": str(c.id), "after": None}},
    )
    await ev.emit(db, ev.comment_deleted(c), who.user_id)
