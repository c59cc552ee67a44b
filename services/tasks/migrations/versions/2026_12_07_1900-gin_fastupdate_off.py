"""the GIN indexes of tasks update in place (fastupdate off) instead of through a pending list

Revision ID: 0008_gin_fastupdate_off
Revises: 0007_moves
Create Date: 2026-12-07 19:00:00

With fastupdate on (PostgreSQL's default), an insert appends its entries to the index's
pending list, and every search scans that whole unsorted list until vacuum (or the 4 MB
limit) merges it: after a burst of creates, a search for a rare word (one GIN probe when the
list is empty) read thousands of pending entries. With it off, each insert updates the
posting trees directly, which costs the write a little and keeps every read as cheap as the
index (issue 14: "sustained writes must not degrade search"). Turning it off does not merge
the entries already pending, so the migration flushes them.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_gin_fastupdate_off"
down_revision: str | None = "0007_moves"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = ("ix_tasks_search", "ix_tasks_assignee_ids", "ix_tasks_label_ids")


def upgrade() -> None:
    for name in INDEXES:
        op.execute(f"ALTER INDEX tasks.{name} SET (fastupdate = off)")
        op.execute(f"SELECT gin_clean_pending_list('tasks.{name}'::regclass)")


def downgrade() -> None:
    for name in INDEXES:
        op.execute(f"ALTER INDEX tasks.{name} RESET (fastupdate)")
