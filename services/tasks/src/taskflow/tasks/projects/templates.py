"""A new project made from another one as a template.

Copied: the workflow (names, colours, categories, order, WIP limits), the labels, the
milestones and, when asked, the live tasks (fields only, through the ordinary create path,
with statuses, labels, milestones and parents mapped to the copies). The people are not: the
new project has one member, its creator, so only the creator stays among assignees and
watchers. The caller needs to see the template (viewer or higher); the template is only read.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.errors import NotFound, Unprocessable
from taskflow.common.security import Principal
from taskflow.events.ids import uuid7
from taskflow.tasks import domain_events as ev
from taskflow.tasks.activity import service as activity
from taskflow.tasks.labels import repository as labels_repo
from taskflow.tasks.labels.models import Label
from taskflow.tasks.milestones import repository as milestones_repo
from taskflow.tasks.milestones.models import Milestone
from taskflow.tasks.projects.auth import ProjectAccess, project_access
from taskflow.tasks.tasks import copies
from taskflow.tasks.tasks import repository as tasks_repo
from taskflow.tasks.tasks import service as tasks_service
from taskflow.tasks.workflows import repository as workflows_repo
from taskflow.tasks.workflows.models import ProjectStatus

#: The most live tasks a template may hand over in one request (one transaction).
MAX_TEMPLATE_TASKS = 1000
_MILESTONE_FIELDS = ("title", "description", "due_date", "state")


@dataclass
class Copied:
    """Ids of the template's statuses, labels and milestones -> their copies."""

    statuses: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    labels: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    milestones: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)


def _err(field_name: str, msg: str, kind: str) -> dict[str, Any]:
    return {"loc": ["body", field_name], "msg": msg, "type": kind}


async def check(
    db: AsyncSession, principal: Principal, template_id: uuid.UUID, include_tasks: bool
) -> None:
    """422 when the template is not a project the caller can see, or has too many tasks."""
    try:
        await project_access(db, principal, template_id, "viewer")
    except NotFound:
        raise Unprocessable(
            "No such project.",
            code="unknown_project",
            errors=[_err("template_project_id", "no such project", "unknown_project")],
        ) from None
    if include_tasks:
        many = await tasks_repo.live_tasks_of(db, template_id, MAX_TEMPLATE_TASKS + 1)
        if len(many) > MAX_TEMPLATE_TASKS:
            raise Unprocessable(
                f"A template hands over at most {MAX_TEMPLATE_TASKS} tasks.",
                code="template_too_large",
                errors=[_err("include_tasks", "the template has too many tasks", "too_many")],
            )


def copy_workflow(
    db: AsyncSession, statuses: list[ProjectStatus], project_id: uuid.UUID, ts: datetime
) -> dict[uuid.UUID, uuid.UUID]:
    """The template's statuses, in its order, for the new project."""
    out: dict[uuid.UUID, uuid.UUID] = {}
    for i, s in enumerate(statuses):
        copy = ProjectStatus(
            id=uuid7(),
            project_id=project_id,
            name=s.name,
            colour=s.colour,
            category=s.category,
            position=i,
            wip_limit=s.wip_limit,
            version=1,
            created_at=ts,
            updated_at=ts,
        )
        db.add(copy)
        out[s.id] = copy.id
    return out


async def template_statuses(db: AsyncSession, template_id: uuid.UUID) -> list[ProjectStatus]:
    """The template's workflow in board order."""
    return await workflows_repo.statuses(db, template_id)


async def copy_rest(
    db: AsyncSession,
    access: ProjectAccess,
    template_id: uuid.UUID,
    copied: Copied,
    ts: datetime,
    *,
    include_tasks: bool,
) -> None:
    """Labels, milestones (with `milestone.created`) and optionally the tasks."""
    project_id = access.project_id
    labels = await labels_repo.all_of_project(db, template_id)
    for label in labels:
        label_copy = Label(id=uuid7(), project_id=project_id, name=label.name, colour=label.colour)
        db.add(label_copy)
        copied.labels[label.id] = label_copy.id
    milestones = await milestones_repo.all_of_project(db, template_id)
    made: list[Milestone] = []
    for m in milestones:
        copy = Milestone(
            id=uuid7(),
            project_id=project_id,
            title=m.title,
            description=m.description,
            due_date=m.due_date,
            state=m.state,
            version=1,
            created_at=ts,
            updated_at=ts,
        )
        db.add(copy)
        copied.milestones[m.id] = copy.id
        made.append(copy)
    await db.flush()
    for m in made:
        activity.record(
            db,
            project_id=project_id,
            actor_id=access.user_id,
            action="milestone.created",
            changes=activity.diff({}, {f: getattr(m, f) for f in _MILESTONE_FIELDS}),
        )
        await ev.emit(db, ev.milestone_created(m), access.user_id)
    if include_tasks:
        await _copy_tasks(db, access, template_id, copied)


async def _copy_tasks(
    db: AsyncSession, access: ProjectAccess, template_id: uuid.UUID, copied: Copied
) -> None:
    tasks = await tasks_repo.live_tasks_of(db, template_id, MAX_TEMPLATE_TASKS)
    live = {t.id for t in tasks}
    me = access.user_id
    new_ids: dict[uuid.UUID, uuid.UUID] = {}
    for task in copies.parents_first(tasks):
        parent = task.parent_id
        data = copies.copy_of(
            task,
            parent_id=new_ids.get(parent) if parent is not None and parent in live else None,
            status=copied.statuses.get,
            label=copied.labels.get,
            milestone=copied.milestones.get,
            person=lambda u: u if u == me else None,
        )
        # The template's own board held these within its limits; the owner copies it whole.
        made = await tasks_service.create(db, access, data, override_wip=True, mentions=False)
        new_ids[task.id] = made.id
