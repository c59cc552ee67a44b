"""Response bodies of invitations (they are created through `POST .../members`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from taskflow.tasks.invitations.models import Invitation

from taskflow.tasks.projects.schemas import Role


class InvitationRead(BaseModel):
    """A pending invitation of an address that has no account yet."""

    id: uuid.UUID
    project_id: uuid.UUID
    email: str
    role: Role
    invited_by: uuid.UUID
    created_at: datetime
    #: When the row was last renewed (inviting the same address again).
    updated_at: datetime
    expires_at: datetime


class InvitationLookup(BaseModel):
    """The token of an invitation link (in the body, so that it stays out of access logs)."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=16, max_length=100)


class InvitationPreview(BaseModel):
    """What an invitation link is about, for the register page: the address to register
    with, the project and who invited."""

    email: str
    project_name: str
    inviter_name: str | None
    role: Role
    expires_at: datetime


def to_read(row: Invitation) -> InvitationRead:
    """The API view of an invitation row."""
    return InvitationRead(
        id=row.id,
        project_id=row.project_id,
        email=row.email,
        role=row.role,
        invited_by=row.invited_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        expires_at=row.expires_at,
    )
