"""The consumer's inbox (taskflow.events.consumer.inbox_table).

Revision ID: 0003_inbox
Revises: 0002_milestones
Create Date: 2026-11-24 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_inbox"
down_revision: str | None = "0002_milestones"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("event_id", sa.Uuid, nullable=False),
        sa.Column("queue", sa.String(200), nullable=False),
        sa.Column(
            "handled_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("event_id", "queue", name="pk_inbox"),
        schema="reporting",
    )


def downgrade() -> None:
    op.drop_table("inbox", schema="reporting")
