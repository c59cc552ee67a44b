"""Who completed a task (assignees at each version, completed_by) and archived projects.

Revision ID: 0004_credit_archived
Revises: 0003_inbox
Create Date: 2026-11-24 11:00:00

Existing rows are back-filled from the current assignees (the best guess without history);
`taskflow-reporting rebuild` re-derives `completed_by` exactly from the event log.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision: str = "0004_credit_archived"
down_revision: str | None = "0003_inbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UUIDS = ARRAY(sa.Uuid())


def upgrade() -> None:
    op.add_column(
        "task_versions",
        sa.Column("assignee_ids", _UUIDS, nullable=False, server_default="{}"),
        schema="reporting",
    )
    op.add_column(
        "task_facts",
        sa.Column("completed_by", _UUIDS, nullable=False, server_default="{}"),
        schema="reporting",
    )
    op.add_column(
        "projects",
        sa.Column("archived", sa.Boolean, nullable=False, server_default=sa.false()),
        schema="reporting",
    )
    # `/me` finds the tasks a user completed through it (array containment).
    op.create_index(
        "ix_task_facts_completed_by",
        "task_facts",
        ["completed_by"],
        schema="reporting",
        postgresql_using="gin",
    )
    op.execute(
        "UPDATE reporting.task_versions v SET assignee_ids = f.assignee_ids "
        "FROM reporting.task_facts f WHERE f.task_id = v.task_id"
    )
    op.execute(
        "UPDATE reporting.task_facts SET completed_by = assignee_ids WHERE status = 'done'"
    )


def downgrade() -> None:
    op.drop_column("projects", "archived", schema="reporting")
    op.drop_index("ix_task_facts_completed_by", "task_facts", schema="reporting")
    op.drop_column("task_facts", "completed_by", schema="reporting")
    op.drop_column("task_versions", "assignee_ids", schema="reporting")
