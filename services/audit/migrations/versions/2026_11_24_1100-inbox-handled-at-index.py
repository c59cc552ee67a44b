"""An index on `inbox.handled_at`, so the worker's inbox trim is a range delete, not a scan.

Revision ID: 0003_inbox_handled_at
Revises: 0002_inbox
Create Date: 2026-11-24 11:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003_inbox_handled_at"
down_revision: str | None = "0002_inbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE INDEX ix_inbox_handled_at ON audit.inbox (handled_at)")


def downgrade() -> None:
    op.execute("DROP INDEX audit.ix_inbox_handled_at")
