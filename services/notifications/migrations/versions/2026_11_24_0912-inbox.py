"""inbox of handled event ids

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 09:12:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("queue", sa.String(length=200), nullable=False),
        sa.Column(
            "handled_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("event_id", "queue", name=op.f("pk_inbox")),
        schema="notifications",
    )


def downgrade() -> None:
    op.drop_table("inbox", schema="notifications")
