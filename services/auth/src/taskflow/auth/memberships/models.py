"""The membership projection (one row per project member, from `project.member_*` events)."""

from __future__ import annotations

import uuid

from sqlalchemy import Index
from sqlalchemy.orm import Mapped, mapped_column

from taskflow.auth.db import Base


class ProjectMember(Base):
    """A user is a member of a project (as the tasks service last said).

    No foreign key to `users`: the rows mirror another service's data, and an event must never
    be refused because of the order in which two services' events arrive.
    """

    __tablename__ = "project_members"
    __table_args__ = (Index("ix_project_members_user_id_project_id", "user_id", "project_id"),)

    project_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
