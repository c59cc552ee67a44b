"""Request and response bodies of projects and members."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

if TYPE_CHECKING:
    from taskflow.tasks.projects.models import Member, Project
    from taskflow.tasks.users.models import User

ProjectStatus = Literal["planning", "active", "on_hold", "completed"]
ProjectHealth = Literal["on_track", "at_risk", "off_track"]
Role = Literal["viewer", "member", "admin", "owner"]
ProjectSort = Literal[
    "name", "-name", "created_at", "-created_at", "target_date", "-target_date",
    "start_date", "-start_date", "progress", "-progress",
]  # fmt: skip

KEY_PATTERN = r"^[A-Z][A-Z0-9]{1,9}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _dates_in_order(start: date | None, target: date | None) -> None:
    if start is not None and target is not None and target < start:
        raise ValueError("target_date must not be before start_date")


class ProjectCreate(_Strict):
    """A new project; the caller becomes its owner."""

    key: str = Field(pattern=KEY_PATTERN, description="Short upper-case key, e.g. OPS.")
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=20_000)
    status: ProjectStatus = "planning"
    health: ProjectHealth = "on_track"
    start_date: date | None = None
    target_date: date | None = None
    allow_completion_with_open_blockers: bool = Field(
        default=False, description="Allow completing a task whose blockers are open."
    )
    template_project_id: uuid.UUID | None = Field(
        default=None,
        description="A project to copy the workflow, labels and milestones of (viewer there).",
    )
    include_tasks: bool = Field(
        default=False, description="With a template: copy its live tasks too (at most 1000)."
    )

    @model_validator(mode="after")
    def _check_dates(self) -> ProjectCreate:
        _dates_in_order(self.start_date, self.target_date)
        if self.include_tasks and self.template_project_id is None:
            raise ValueError("include_tasks needs template_project_id")
        return self


class ProjectUpdate(_Strict):
    """Fields to change; omitted fields stay as they are."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=20_000)
    status: ProjectStatus | None = None
    health: ProjectHealth | None = None
    start_date: date | None = None
    target_date: date | None = None
    allow_completion_with_open_blockers: bool | None = Field(
        default=None, description="Allow completing a task whose blockers are open."
    )


class ProjectRead(BaseModel):
    """A project as the caller sees it, with the caller's role."""

    id: uuid.UUID
    key: str
    name: str
    description: str
    status: ProjectStatus
    health: ProjectHealth
    start_date: date | None
    target_date: date | None
    allow_completion_with_open_blockers: bool
    progress: int = Field(description="Percent of live, non-cancelled tasks that are done.")
    tasks_total: int
    tasks_done: int
    role: Role | None = Field(description="The caller's role in the project.")
    version: int
    created_by: uuid.UUID
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None
    deleted_at: datetime | None


class MemberAdd(_Strict):
    """Add a user by id or by email (looked up in auth)."""

    user_id: uuid.UUID | None = None
    email: EmailStr | None = None
    role: Role = "member"

    @model_validator(mode="after")
    def _one_of(self) -> MemberAdd:
        if (self.user_id is None) == (self.email is None):
            raise ValueError("give exactly one of user_id and email")
        return self


class MemberAddAccepted(BaseModel):
    """The answer to adding by an address the caller may not see: the same whether or not it
    belongs to an account (when it does, that account is now a member; when not, the address
    is invited)."""

    status: Literal["accepted"] = "accepted"
    detail: str = (
        "If this address belongs to an account, it is now a member of the project and has been"
        " told so; otherwise an invitation to register has been sent to it."
    )


class MemberUpdate(_Strict):
    """A member's new role."""

    role: Role


class MemberRead(BaseModel):
    """A member, with the name from the users projection when known."""

    project_id: uuid.UUID
    user_id: uuid.UUID
    role: Role
    email: str | None
    display_name: str | None
    created_at: datetime


def to_read(project: Project, role: str | None) -> ProjectRead:
    """The API view of a project row."""
    total, done = project.tasks_total, project.tasks_done
    return ProjectRead(
        id=project.id,
        key=project.key,
        name=project.name,
        description=project.description,
        status=project.status,
        health=project.health,
        start_date=project.start_date,
        target_date=project.target_date,
        allow_completion_with_open_blockers=project.allow_completion_with_open_blockers,
        progress=0 if total <= 0 else (done * 100) // total,
        tasks_total=total,
        tasks_done=done,
        role=role,
        version=project.version,
        created_by=project.created_by,
        created_at=project.created_at,
        updated_at=project.updated_at,
        archived_at=project.archived_at,
        deleted_at=project.deleted_at,
    )


def member_read(member: Member, user: User | None) -> MemberRead:
    """The API view of a membership."""
    return MemberRead(
        project_id=member.project_id,
        user_id=member.user_id,
        role=member.role,
        email=user.email if user else None,
        display_name=user.display_name if user else None,
        created_at=member.created_at,
    )
