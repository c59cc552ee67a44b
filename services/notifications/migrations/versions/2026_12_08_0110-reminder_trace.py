"""reminders keep the trace of the event that scheduled them

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-08 01:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, no default: rows scheduled before this keep no trace (their mail has none).
    op.add_column(
        "reminders", sa.Column("traceparent", sa.String(length=55)), schema="notifications"
    )
    op.add_column(
        "reminders", sa.Column("request_id", sa.String(length=128)), schema="notifications"
    )


def downgrade() -> None:
    op.drop_column("reminders", "request_id", schema="notifications")
    op.drop_column("reminders", "traceparent", schema="notifications")
