"""Events about projects and their members, produced by the tasks service.

Member events belong to the project aggregate (ordering key = project id): the producer locks
the project row before changing membership, so added / role changed / removed stay in order.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from taskflow.events.contracts.base import Event, FieldChange, resource_version_field

ProjectStatus = Literal["planning", "active", "on_hold", "completed"]
ProjectHealth = Literal["on_track", "at_risk", "off_track"]
ProjectRole = Literal["viewer", "member", "admin", "owner"]


class ProjectEvent(Event):
    """Events whose aggregate is one project."""

    project_id: UUID

    def subject(self) -> str:
        return f"project/{self.project_id}"

    def aggregate_id(self) -> str:
        return str(self.project_id)


class ProjectCreated(ProjectEvent):
    """A project was created; its owner is its first member (a member_added follows)."""

    event_type: ClassVar[str] = "project.created"

    key: str
    name: str
    description: str = ""
    owner_id: UUID
    status: ProjectStatus
    health: ProjectHealth
    start_date: date | None = None
    target_date: date | None = None


with resource_version_field():

    class ProjectUpdated(ProjectEvent):
        """Fields of a project changed; ``version`` is the project's version after the change."""

        event_type: ClassVar[str] = "project.updated"

        changes: dict[str, FieldChange]
        version: int  # type: ignore[misc]  # the project's version; see base module docstring


class ProjectArchived(ProjectEvent):
    """The project became read-only."""

    event_type: ClassVar[str] = "project.archived"


class ProjectDeleted(ProjectEvent):
    """The project was soft-deleted (restorable until purged)."""

    event_type: ClassVar[str] = "project.deleted"


class ProjectRestored(ProjectEvent):
    """A deleted or archived project is live again."""

    event_type: ClassVar[str] = "project.restored"


class ProjectMemberAdded(ProjectEvent):
    """A user became a member of the project."""

    event_type: ClassVar[str] = "project.member_added"

    user_id: UUID
    role: ProjectRole


class ProjectMemberRoleChanged(ProjectEvent):
    """A member's project role changed."""

    event_type: ClassVar[str] = "project.member_role_changed"

    user_id: UUID
    before: ProjectRole
    after: ProjectRole


class ProjectMemberRemoved(ProjectEvent):
    """A user is no longer a member; ``role`` is the role they had."""

    event_type: ClassVar[str] = "project.member_removed"

    user_id: UUID
    role: ProjectRole


class ProjectInvitationEvent(ProjectEvent):
    """Events about an invitation of an address without an account to the project.

    They never carry the invitation's token (only its mail does, see
    ``ProjectInvitationMailRequested``): the address alone is what joining rests on. Only
    project admins may list invitations, so boards and webhooks do not hear of them.
    """

    members_may_see: ClassVar[bool] = False

    invitation_id: UUID
    email: str


class ProjectInvitationCreated(ProjectInvitationEvent):
    """An address without an account was invited (or invited again: ``renewed``, with a new
    role, expiry and link; the old link no longer works)."""

    event_type: ClassVar[str] = "project.invitation_created"

    role: ProjectRole
    invited_by: UUID
    expires_at: datetime
    renewed: bool = False


class ProjectInvitationRevoked(ProjectInvitationEvent):
    """A pending invitation was withdrawn by a project admin; it will not be honoured."""

    event_type: ClassVar[str] = "project.invitation_revoked"


class ProjectInvitationAccepted(ProjectInvitationEvent):
    """The invited address now belongs to a verified account: ``user_id`` joined with
    ``role`` (a ``project.member_added`` follows, unless they were a member already)."""

    event_type: ClassVar[str] = "project.invitation_accepted"

    user_id: UUID
    role: ProjectRole
    already_member: bool = False


class ProjectInvitationMailRequested(ProjectInvitationEvent):
    """The invitation mail to send: notifications mails ``invite_url`` (a one-time link to
    register), audit redacts it."""

    event_type: ClassVar[str] = "project.invitation_mail_requested"
    sensitive_fields: ClassVar[frozenset[str]] = frozenset({"invite_url"})

    project_name: str
    inviter_name: str | None = None
    role: ProjectRole
    invite_url: str
    expires_at: datetime


StatusCategory = Literal["backlog", "todo", "in_progress", "done", "cancelled"]
WorkflowChange = Literal["status_added", "status_updated", "statuses_reordered", "status_removed"]


class WorkflowStatus(BaseModel):
    """One status of a project's workflow, as workflow events carry it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status_id: UUID
    name: str
    colour: str
    category: StatusCategory
    position: int
    wip_limit: int | None = None


class ProjectWorkflowChanged(ProjectEvent):
    """A project's workflow changed; ``statuses`` is the whole workflow after the change.

    ``status_removed`` names the status that went (``status_id``), where its tasks went
    (``moved_to``) and how many moved; each moved task also has its own ``task.*`` events.
    """

    event_type: ClassVar[str] = "project.workflow_changed"

    change: WorkflowChange
    status_id: UUID | None = None
    changes: dict[str, FieldChange] = Field(default_factory=dict)
    moved_to: UUID | None = None
    moved_tasks: int = 0
    statuses: list[WorkflowStatus]
