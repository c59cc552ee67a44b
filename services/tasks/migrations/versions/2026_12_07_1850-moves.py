"""moves: old key-numbers of tasks moved to another project keep answering (issue 12)

Revision ID: 0007_moves
Revises: 0006_invitations
Create Date: 2026-12-07 18:00:00

One table, `task_key_redirects`: (old project, old number) -> task. Nothing existing changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_moves"
down_revision: str | None = "0006_invitations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "task_key_redirects",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column(
            "moved_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["tasks.projects.id"],
            name=op.f("fk_task_key_redirects_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.tasks.id"],
            name=op.f("fk_task_key_redirects_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", "number", name=op.f("pk_task_key_redirects")),
        schema="tasks",
    )
    op.create_index(
        "ix_task_key_redirects_task_id",
        "task_key_redirects",
        ["task_id"],
        unique=False,
        schema="tasks",
    )


def downgrade() -> None:
    op.drop_index("ix_task_key_redirects_task_id", table_name="task_key_redirects", schema="tasks")
    op.drop_table("task_key_redirects", schema="tasks")
