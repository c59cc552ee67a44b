"""Rules of projects and members. Services never commit: the request scope does."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.clock import utcnow as now
from taskflow.common.concurrency import check_version
from taskflow.common.errors import Forbidden, Unprocessable
from taskflow.common.pagination import Page, PageParams
from taskflow.common.security import Principal
from taskflow.events.ids import uuid7
from taskflow.tasks import domain_events as ev
from taskflow.tasks.activity import service as activity
from taskflow.tasks.projects import repository as repo
from taskflow.tasks.projects import templates
from taskflow.tasks.projects.auth import ProjectAccess, not_found
from taskflow.tasks.projects.errors import AlreadyMember, DuplicateKey, LastOwner
from taskflow.tasks.projects.models import Member, Project
from taskflow.tasks.projects.schemas import (
    MemberRead,
    ProjectCreate,
    ProjectRead,
    ProjectUpdate,
    member_read,
    to_read,
)
from taskflow.tasks.tasks import repository as tasks_repo
from taskflow.tasks.tasks import service as tasks_service
from taskflow.tasks.users.models import User
from taskflow.tasks.workflows import service as workflows

_FIELDS = (
    "name", "description", "status", "health", "start_date", "target_date",
    "allow_completion_with_open_blockers",
)  # fmt: skip


def _snapshot(project: Project) -> dict[str, Any]:
    return {f: getattr(project, f) for f in _FIELDS}


async def create(db: AsyncSession, principal: Principal, data: ProjectCreate) -> ProjectRead:
    """Create a project with the caller as its owner, from a template if one is named."""
    user_id = principal.user_id
    template = data.template_project_id
    if template is not None:
        await templates.check(db, principal, template, data.include_tasks)
    if await repo.key_taken(db, data.key):
        raise DuplicateKey(f"The key {data.key} is taken.")
    ts = now()
    project = Project(
        id=uuid7(),
        key=data.key,
        name=data.name,
        description=data.description,
        status=data.status,
        health=data.health,
        start_date=data.start_date,
        target_date=data.target_date,
        allow_completion_with_open_blockers=data.allow_completion_with_open_blockers,
        created_by=user_id,
        created_at=ts,
        updated_at=ts,
        version=1,
        task_counter=0,
        tasks_total=0,
        tasks_done=0,
    )
    db.add(project)
    await db.flush()  # no ORM relationship orders the inserts: the project row goes first
    copied = templates.Copied()
    if template is None:
        workflows.create_default(db, project.id, ts)
    else:
        statuses = await templates.template_statuses(db, template)
        copied.statuses = templates.copy_workflow(db, statuses, project.id, ts)
    member = Member(project_id=project.id, user_id=user_id, role="owner", created_at=ts)
    db.add(member)
    await db.flush()
    created = {"key": project.key, **_snapshot(project)}
    if template is not None:
        created["template_project_id"] = str(template)
    activity.record(
        db,
        project_id=project.id,
        actor_id=user_id,
        action="project.created",
        changes=activity.diff({}, created),
    )
    await ev.emit(db, ev.project_created(project), user_id)
    await ev.emit(db, ev.member_added(project, member), user_id)
    if template is not None:
        access = ProjectAccess(principal=principal, project_id=project.id, role="owner")
        await templates.copy_rest(
            db, access, template, copied, ts, include_tasks=data.include_tasks
        )
        await db.refresh(project)  # the copied tasks moved its counters
    return to_read(project, "owner")


async def locked(
    db: AsyncSession, access: ProjectAccess, *, include_deleted: bool = False
) -> Project:
    """The caller's project, locked for this transaction's writes (404 when gone)."""
    project = await repo.get_for_update(db, access.project_id, include_deleted=include_deleted)
    if project is None:
        raise not_found()
    return project


async def list_for_user(
    db: AsyncSession,
    user_id: uuid.UUID,
    *,
    status: Sequence[str] | None,
    health: Sequence[str] | None,
    archived: bool | None,
    q: str | None,
    trashed: bool,
    sort: str,
    page: PageParams,
) -> Page[ProjectRead]:
    """One page of the projects the user is a member of (or, `trashed`, of the deleted ones
    they own), filtered and in the order `sort` names, each with the user's role.
    """
    result = await repo.list_for_user(
        db,
        user_id,
        status=status,
        health=health,
        archived=archived,
        q=q,
        trashed=trashed,
        sort=repo.project_sort(sort),
        page=page,
    )
    return Page[ProjectRead](
        items=[to_read(p, role) for p, role in result.items], next_cursor=result.next_cursor
    )


async def get(db: AsyncSession, access: ProjectAccess) -> ProjectRead:
    """One project the caller may see."""
    project = await repo.get(db, access.project_id)
    if project is None:
        raise not_found()
    return to_read(project, access.role)


async def update(
    db: AsyncSession, access: ProjectAccess, changes: ProjectUpdate, expected: int | None
) -> ProjectRead:
    """Change project fields (admin); 412 on a stale version."""
    project = await locked(db, access)
    check_version(project, expected)
    fields = changes.model_dump(exclude_unset=True)
    for name in ("name", "status", "health", "allow_completion_with_open_blockers"):
        if name in fields and fields[name] is None:
            raise Unprocessable(
                f"{name} cannot be null.",
                errors=[{"loc": ["body", name], "msg": "may not be null", "type": "null"}],
            )
    start = fields.get("start_date", project.start_date)
    target = fields.get("target_date", project.target_date)
    if start is not None and target is not None and target < start:
        raise Unprocessable(
            "target_date must not be before start_date.",
            errors=[
                {"loc": ["body", "target_date"], "msg": "before start_date", "type": "date_order"}
            ],
        )
    before = _snapshot(project)
    for name, value in fields.items():
        setattr(project, name, value)
    changed = activity.diff(before, _snapshot(project))
    if changed:
        project.version += 1
        project.updated_at = now()
        activity.record(
            db,
            project_id=project.id,
            actor_id=access.user_id,
            action="project.updated",
            changes=changed,
        )
        await ev.emit(db, ev.project_updated(project, changed), access.user_id)
    return to_read(project, access.role)


async def set_archived(
    db: AsyncSession, access: ProjectAccess, archived: bool, expected: int | None
) -> ProjectRead:
    """Archive (read-only) or unarchive a project (admin)."""
    project = await locked(db, access)
    check_version(project, expected)
    if (project.archived_at is not None) != archived:
        before = project.archived_at
        project.archived_at = now() if archived else None
        project.version += 1
        project.updated_at = now()
        action = "project.archived" if archived else "project.unarchived"
        activity.record(
            db,
            project_id=project.id,
            actor_id=access.user_id,
            action=action,
            changes=activity.diff({"archived_at": before}, {"archived_at": project.archived_at}),
        )
        if archived:
            await ev.emit(db, ev.project_archived(project), access.user_id)
        else:
            # The contracts define "restored" as "deleted or archived project is live again".
            await ev.emit(db, ev.project_restored(project), access.user_id)
    return to_read(project, access.role)


async def delete(db: AsyncSession, access: ProjectAccess, expected: int | None) -> None:
    """Soft-delete a project (owner); restorable until the trash is purged."""
    project = await locked(db, access)
    check_version(project, expected)
    project.deleted_at = now()
    project.version += 1
    project.updated_at = project.deleted_at
    activity.record(db, project_id=project.id, actor_id=access.user_id, action="project.deleted")
    await ev.emit(db, ev.project_deleted(project), access.user_id)


async def restore(db: AsyncSession, access: ProjectAccess) -> ProjectRead:
    """Bring a soft-deleted project back (owner)."""
    project = await locked(db, access, include_deleted=True)
    if project.deleted_at is None:
        return to_read(project, access.role)
    project.deleted_at = None
    project.version += 1
    project.updated_at = now()
    activity.record(db, project_id=project.id, actor_id=access.user_id, action="project.restored")
    await ev.emit(db, ev.project_restored(project), access.user_id)
    return to_read(project, access.role)


# --- members -------------------------------------------------------------------------------


async def list_members(
    db: AsyncSession, project_id: uuid.UUID, page: PageParams
) -> Page[MemberRead]:
    """One page of the project's members with their projected names, in the order they joined."""
    result = await repo.list_members(db, project_id, page)
    return Page[MemberRead](
        items=[member_read(m, u) for m, u in result.items], next_cursor=result.next_cursor
    )


async def may_see(db: AsyncSession, access: ProjectAccess, user: User) -> bool:
    """Whether the caller may see this user's address: a system admin, or a co-member.

    Adding a member by email must not tell the caller whether an address they may not see
    has an account; this is the rule that decides which answer they get.
    """
    if access.principal.has_role("admin") or user.id == access.user_id:
        return True
    return await repo.share_a_project(db, access.user_id, user.id)


def check_grant(access: ProjectAccess, role: str) -> None:
    """Only owners hand out or take away ownership."""
    if role == "owner" and access.role != "owner":
        raise Forbidden("Only an owner can make or unmake owners.", code="role_required")


async def add_member(db: AsyncSession, access: ProjectAccess, user: User, role: str) -> MemberRead:
    """Add a user to the project (admin; owners only by an owner)."""
    check_grant(access, role)
    project = await locked(db, access)
    if await repo.get_member(db, project.id, user.id) is not None:
        raise AlreadyMember("The user is already a member of the project.")
    member = await join(db, project, user.id, role, actor_id=access.user_id)
    return member_read(member, user)


async def join(
    db: AsyncSession, project: Project, user_id: uuid.UUID, role: str, *, actor_id: uuid.UUID
) -> Member:
    """Make `user_id` a member (the project row locked, not a member yet): the row, its
    activity entry and `project.member_added`, whoever asked for it (`actor_id`)."""
    member = Member(project_id=project.id, user_id=user_id, role=role, created_at=now())
    db.add(member)
    await db.flush()
    activity.record(
        db,
        project_id=project.id,
        actor_id=actor_id,
        action="project.member_added",
        changes={
            "user_id": {"before": None, "after": str(user_id)},
            "role": {"before": None, "after": role},
        },
    )
    await ev.emit(db, ev.member_added(project, member), actor_id)
    return member


async def change_role(
    db: AsyncSession, access: ProjectAccess, user_id: uuid.UUID, role: str
) -> MemberRead:
    """Change a member's role (admin); the last owner cannot be demoted."""
    project = await locked(db, access)
    member = await repo.get_member(db, project.id, user_id)
    if member is None:
        raise not_found("member")
    if member.role == role:
        return member_read(member, await db.get(User, user_id))
    check_grant(access, role)
    check_grant(access, member.role)
    if member.role == "owner" and await repo.count_owners(db, project.id) <= 1:
        raise LastOwner("Make someone else an owner first.")
    before = member.role
    member.role = role
    activity.record(
        db,
        project_id=project.id,
        actor_id=access.user_id,
        action="project.member_role_changed",
        changes={
            "user_id": {"before": str(user_id), "after": str(user_id)},
            "role": {"before": before, "after": role},
        },
    )
    await ev.emit(db, ev.member_role_changed(project, member, before), access.user_id)
    return member_read(member, await db.get(User, user_id))


async def remove_member(db: AsyncSession, access: ProjectAccess, user_id: uuid.UUID) -> None:
    """Remove a member (admin) or leave (anyone); the last owner cannot go."""
    if user_id != access.user_id:
        access.require("admin")
    # Task rows before the project row: a task PATCH that changes the progress counters locks
    # its task and then the project, so taking them the other way round could deadlock.
    await tasks_repo.lock_referencing(db, access.project_id, user_id=user_id)
    project = await locked(db, access)
    member = await repo.get_member(db, project.id, user_id)
    if member is None:
        raise not_found("member")
    if member.role == "owner":
        if user_id != access.user_id:
            check_grant(access, "owner")
        if await repo.count_owners(db, project.id) <= 1:
            raise LastOwner("The last owner cannot leave; make someone else an owner first.")
    role = member.role
    await db.delete(member)
    await db.flush()
    activity.record(
        db,
        project_id=project.id,
        actor_id=access.user_id,
        action="project.member_removed",
        changes={
            "user_id": {"before": str(user_id), "after": None},
            "role": {"before": role, "after": None},
        },
    )
    await ev.emit(db, ev.member_removed(project, user_id, role), access.user_id)
    # After the membership is gone (so no new assignment can be validated against it), take
    # the user off every task: `task.updated` + `task.unassigned`, like an edit would.
    await tasks_service.strip_reference(db, access.user_id, project.id, user_id=user_id)
