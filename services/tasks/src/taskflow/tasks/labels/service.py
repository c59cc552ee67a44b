"""Rules of labels: a project's names (unique, case-insensitively), who may change them, and a
deleted label taken off every task.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.errors import Conflict
from taskflow.common.pagination import Page, PageParams
from taskflow.common.security import Principal
from taskflow.events.ids import uuid7
from taskflow.tasks.activity import service as activity
from taskflow.tasks.labels import repository
from taskflow.tasks.labels.models import Label
from taskflow.tasks.labels.schemas import LabelCreate, LabelRead, LabelUpdate
from taskflow.tasks.projects.auth import ProjectAccess, not_found, project_access
from taskflow.tasks.tasks import service as tasks_service


class DuplicateLabel(Conflict):
    default_code = "duplicate_label"
    default_title = "A label with this name exists"


async def _label_access(
    db: AsyncSession, who: Principal, label_id: uuid.UUID
) -> tuple[Label, ProjectAccess]:
    label = await db.get(
        Label, label_id, with_for_update={"key_share": True}, populate_existing=True
    )
    if label is None:
        raise not_found("label")
    access = await project_access(db, who, label.project_id, "member", what="label")
    access.require_writable()
    return label, access


async def list_for_project(
    db: AsyncSession, access: ProjectAccess, page: PageParams
) -> Page[LabelRead]:
    """The labels of a project, by name."""
    result = await repository.page_of_project(db, access.project_id, page)
    return Page[LabelRead](
        items=[LabelRead.model_validate(lb) for lb in result.items], next_cursor=result.next_cursor
    )


async def create(db: AsyncSession, access: ProjectAccess, body: LabelCreate) -> LabelRead:
    """Create a label (the caller is a member or higher)."""
    access.require_writable()
    if await repository.name_taken(db, access.project_id, body.name):
        raise DuplicateLabel(f"The label {body.name} exists.")
    label = Label(id=uuid7(), project_id=access.project_id, name=body.name, colour=body.colour)
    db.add(label)
    await db.flush()
    await db.refresh(label)
    activity.record(
        db,
        project_id=access.project_id,
        actor_id=access.user_id,
        action="label.created",
        changes={"name": {"before": None, "after": label.name}},
    )
    return LabelRead.model_validate(label)


async def update(
    db: AsyncSession, who: Principal, label_id: uuid.UUID, body: LabelUpdate
) -> LabelRead:
    """Rename or recolour a label (member or higher)."""
    label, access = await _label_access(db, who, label_id)
    fields = body.model_dump(exclude_unset=True, exclude_none=True)
    if "name" in fields and await repository.name_taken(
        db, label.project_id, fields["name"], but=label.id
    ):
        raise DuplicateLabel(f"The label {fields['name']} exists.")
    before = {"name": label.name, "colour": label.colour}
    for k, v in fields.items():
        setattr(label, k, v)
    if changed := activity.diff(before, {"name": label.name, "colour": label.colour}):
        activity.record(
            db,
            project_id=label.project_id,
            actor_id=access.user_id,
            action="label.updated",
            changes=changed,
        )
    return LabelRead.model_validate(label)


async def delete(db: AsyncSession, who: Principal, label_id: uuid.UUID) -> None:
    """Delete a label and take it off every task (member or higher)."""
    label, access = await _label_access(db, who, label_id)
    # Each task loses the label like an edit would (version, activity, `task.updated`).
    await tasks_service.strip_reference(db, access.user_id, label.project_id, label_id=label.id)
    activity.record(
        db,
        project_id=label.project_id,
        actor_id=access.user_id,
        action="label.deleted",
        changes={"name": {"before": label.name, "after": None}},
    )
    await db.delete(label)
