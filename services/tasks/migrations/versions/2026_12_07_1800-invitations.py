"""invitations: addresses without an account invited to a project (issue 12, People)

Revision ID: 0006_invitations
Revises: 0005_search_more
Create Date: 2026-12-07 18:00:00

One row per invitation; at most one pending row per project and address (a partial unique
index), so that inviting again renews the row instead of adding a second. Only the SHA-256 of
the link's token is stored.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_invitations"
down_revision: str | None = "0005_search_more"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "invitations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invited_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", TZ, server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", TZ, server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("accepted_by", sa.Uuid(), nullable=True),
        sa.Column("accepted_at", TZ, nullable=True),
        sa.Column("revoked_by", sa.Uuid(), nullable=True),
        sa.Column("revoked_at", TZ, nullable=True),
        sa.CheckConstraint(
            "state IN ('pending','accepted','revoked')", name=op.f("ck_invitations_state")
        ),
        sa.CheckConstraint(
            "role IN ('viewer','member','admin','owner')", name=op.f("ck_invitations_role")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["tasks.projects.id"],
            name=op.f("fk_invitations_project_id_projects"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitations_token_hash")),
        schema="tasks",
    )  # fmt: skip
    op.create_index(
        op.f("ix_tasks_invitations_project_id"), "invitations", ["project_id"], schema="tasks"
    )
    op.create_index(
        "uq_invitations_pending_project_email", "invitations", ["project_id", "email"],
        unique=True, schema="tasks", postgresql_where=sa.text("state = 'pending'"),
    )  # fmt: skip
    op.create_index(
        "ix_invitations_pending_email", "invitations", ["email"],
        schema="tasks", postgresql_where=sa.text("state = 'pending'"),
    )  # fmt: skip
    op.create_index(
        "ix_invitations_invited_by_updated_at", "invitations", ["invited_by", "updated_at"],
        schema="tasks",
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("invitations", schema="tasks")
