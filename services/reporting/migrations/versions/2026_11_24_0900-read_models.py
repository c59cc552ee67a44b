"""Read models: event log, projects, members, task facts, versions and assignees.

Revision ID: 0001_read_models
Revises:
Create Date: 2026-11-24 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

revision: str = "0001_read_models"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "reporting"
TS = sa.DateTime(timezone=True)
ID = UUID(as_uuid=True)


def upgrade() -> None:
    op.create_table(
        "event_log",
        sa.Column("seq", sa.BigInteger, sa.Identity(always=True), nullable=False),
        sa.Column("event_id", ID, nullable=False),
        sa.Column("type", sa.String(80), nullable=False),
        sa.Column("project_id", ID, nullable=True),
        sa.Column("occurred_at", TS, nullable=False),
        sa.Column("received_at", TS, nullable=False, server_default=sa.text("now()")),
        sa.Column("envelope", JSONB, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_event_log"),
        sa.UniqueConstraint("event_id", name="uq_event_log_event_id"),
        schema=S,
    )
    op.create_index(
        "ix_event_log_project_occurred", "event_log", ["project_id", "occurred_at"], schema=S
    )
    op.create_index("ix_event_log_occurred", "event_log", ["occurred_at"], schema=S)

    op.create_table(
        "projects",
        sa.Column("project_id", ID, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("state_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("project_id", name="pk_projects"),
        schema=S,
    )
    op.create_table(
        "members",
        sa.Column("project_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("changed_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("project_id", "user_id", name="pk_members"),
        schema=S,
    )
    op.create_index("ix_members_user", "members", ["user_id"], schema=S)

    op.create_table(
        "task_facts",
        sa.Column("task_id", ID, nullable=False),
        sa.Column("project_id", ID, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("priority", sa.String(20), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("started_at", TS, nullable=True),
        sa.Column("completed_at", TS, nullable=True),
        sa.Column("reported_completed_at", TS, nullable=True),
        sa.Column("due_at", TS, nullable=True),
        sa.Column("times_reopened", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("milestone_id", ID, nullable=True),
        sa.Column("assignee_ids", ARRAY(ID), nullable=False, server_default="{}"),
        sa.PrimaryKeyConstraint("task_id", name="pk_task_facts"),
        schema=S,
    )
    op.create_index(
        "ix_task_facts_project_status", "task_facts", ["project_id", "status"], schema=S
    )
    op.create_index(
        "ix_task_facts_milestone",
        "task_facts",
        ["milestone_id"],
        schema=S,
        postgresql_where=sa.text("milestone_id IS NOT NULL"),
    )

    op.create_table(
        "task_versions",
        sa.Column("task_id", ID, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("project_id", ID, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("due_at", TS, nullable=True),
        sa.Column("milestone_id", ID, nullable=True),
        sa.Column("at", TS, nullable=False),
        sa.PrimaryKeyConstraint("task_id", "version", name="pk_task_versions"),
        schema=S,
    )
    op.create_index(
        "ix_task_versions_project_at", "task_versions", ["project_id", "at"], schema=S
    )
    op.create_index(
        "ix_task_versions_milestone",
        "task_versions",
        ["milestone_id"],
        schema=S,
        postgresql_where=sa.text("milestone_id IS NOT NULL"),
    )

    op.create_table(
        "task_assignees",
        sa.Column("task_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("project_id", ID, nullable=False),
        sa.PrimaryKeyConstraint("task_id", "user_id", name="pk_task_assignees"),
        schema=S,
    )
    op.create_index(
        "ix_task_assignees_project_user", "task_assignees", ["project_id", "user_id"], schema=S
    )
    op.create_index("ix_task_assignees_user", "task_assignees", ["user_id"], schema=S)


def downgrade() -> None:
    for table in ("task_assignees", "task_versions", "task_facts", "members", "projects", "event_log"):
        op.drop_table(table, schema=S)
