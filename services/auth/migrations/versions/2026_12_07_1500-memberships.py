"""memberships: auth's projection of project memberships, and the consumer's inbox

Auth decides whose email a caller may see by whether they share a project; the tasks service
owns memberships, and its `project.member_*` events fill this projection.

Revision ID: 0002_memberships
Revises: 0001
Create Date: 2026-12-07 15:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_memberships"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "project_members",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "user_id", name=op.f("pk_project_members")),
        schema="auth",
    )
    op.create_index(
        "ix_project_members_user_id_project_id",
        "project_members",
        ["user_id", "project_id"],
        unique=False,
        schema="auth",
    )
    op.create_table(
        "inbox",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("queue", sa.String(length=200), nullable=False),
        sa.Column(
            "handled_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("event_id", "queue", name=op.f("pk_inbox")),
        schema="auth",
    )


def downgrade() -> None:
    op.drop_table("inbox", schema="auth")
    op.drop_index(
        "ix_project_members_user_id_project_id", table_name="project_members", schema="auth"
    )
    op.drop_table("project_members", schema="auth")
