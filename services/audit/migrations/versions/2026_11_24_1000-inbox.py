"""The consumer's inbox (taskflow.events `inbox_table`): handled event ids per queue.

Revision ID: 0002_inbox
Revises: 0001_initial
Create Date: 2026-11-24 10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002_inbox"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE audit.inbox (
            event_id   uuid         NOT NULL,
            queue      varchar(200) NOT NULL,
            handled_at timestamptz  NOT NULL DEFAULT now(),
            CONSTRAINT pk_inbox PRIMARY KEY (event_id, queue)
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE audit.inbox")
