"""Milestones projection; indexes for throughput by creation and completion time.

Revision ID: 0002_milestones
Revises: 0001_read_models
Create Date: 2026-11-24 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0002_milestones"
down_revision: str | None = "0001_read_models"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "reporting"


def upgrade() -> None:
    op.create_table(
        "milestones",
        sa.Column("milestone_id", UUID(as_uuid=True), nullable=False),
        sa.Column("project_id", UUID(as_uuid=True), nullable=False),
        sa.Column("title", sa.String(500), nullable=True),
        sa.Column("due_date", sa.Date, nullable=True),
        sa.Column("version", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("milestone_id", name="pk_milestones"),
        schema=S,
    )
    op.create_index(
        "ix_task_facts_project_created", "task_facts", ["project_id", "created_at"], schema=S
    )
    op.create_index(
        "ix_task_facts_project_completed",
        "task_facts",
        ["project_id", "completed_at"],
        schema=S,
        postgresql_where=sa.text("completed_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_task_facts_project_completed", table_name="task_facts", schema=S)
    op.drop_index("ix_task_facts_project_created", table_name="task_facts", schema=S)
    op.drop_table("milestones", schema=S)
