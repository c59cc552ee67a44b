"""Tasks carry their status category; status names are a project's own (up to 40 characters).

Revision ID: 0005_status_category
Revises: 0004_credit_archived
Create Date: 2026-12-07 15:30:00

Since workflows are per project, a status name means nothing by itself: every completion rule
(done, open, overdue, started, reopened) reads `category`. Existing rows are back-filled from
the fixed statuses they hold (`blocked` was in progress); nothing else changes, so every figure
computed before stays the same.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_status_category"
down_revision: str | None = "0004_credit_archived"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BACKFILL = "CASE status WHEN 'blocked' THEN 'in_progress' ELSE status END"


def upgrade() -> None:
    for table in ("task_facts", "task_versions"):
        op.alter_column(
            table,
            "status",
            type_=sa.String(40),
            existing_type=sa.String(20),
            existing_nullable=False,
            schema="reporting",
        )
        op.add_column(
            table, sa.Column("category", sa.String(16), nullable=True), schema="reporting"
        )
        op.execute(f"UPDATE reporting.{table} SET category = {_BACKFILL}")
        op.alter_column(table, "category", nullable=False, schema="reporting")
    op.create_index(
        "ix_task_facts_project_category",
        "task_facts",
        ["project_id", "category"],
        schema="reporting",
    )


def downgrade() -> None:
    op.drop_index("ix_task_facts_project_category", table_name="task_facts", schema="reporting")
    for table in ("task_facts", "task_versions"):
        op.drop_column(table, "category", schema="reporting")
        op.execute(f"UPDATE reporting.{table} SET status = left(status, 20)")
        op.alter_column(
            table,
            "status",
            type_=sa.String(20),
            existing_type=sa.String(40),
            existing_nullable=False,
            schema="reporting",
        )
