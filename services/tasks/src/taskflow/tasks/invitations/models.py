"""Invitations of an address that has no account yet to a project."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from taskflow.events.ids import uuid7
from taskflow.tasks.db import Base

STATES = ("pending", "accepted", "revoked")


class Invitation(Base):
    """One address invited to one project with a role.

    At most one pending row per project and address (a partial unique index): inviting again
    renews that row (role, inviter, expiry, token) instead of adding a second. Expiry is not
    a state: a pending row past `expires_at` is simply not honoured nor listed, and inviting
    the address again brings it back to life. Only the SHA-256 of the link's token is kept.
    """

    __tablename__ = "invitations"
    __table_args__ = (
        CheckConstraint("state IN ('pending','accepted','revoked')", name="state"),
        CheckConstraint("role IN ('viewer','member','admin','owner')", name="role"),
        Index(
            "uq_invitations_pending_project_email",
            "project_id",
            "email",
            unique=True,
            postgresql_where=text("state = 'pending'"),
        ),
        # The worker looks up pending invitations by address when an account is verified.
        Index("ix_invitations_pending_email", "email", postgresql_where=text("state = 'pending'")),
        # The daily cap per inviter counts the mails they caused (creations and renewals).
        Index("ix_invitations_invited_by_updated_at", "invited_by", "updated_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    #: Lower-cased and trimmed, as the users projection stores addresses.
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accepted_by: Mapped[uuid.UUID | None]
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by: Mapped[uuid.UUID | None]
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
