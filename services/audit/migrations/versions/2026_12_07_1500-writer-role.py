"""The consumer appends as `taskflow_audit_writer`, not as the schema owner.

An owner can drop or disable the triggers that make the log append-only (and grant itself
back what it revoked), so the long-running consumer must not be the owner. Its role gets
exactly what appending needs: read and insert entries (the event-id look-up, the insert),
read and move the chain head (`SELECT ... FOR UPDATE` needs UPDATE), and write its inbox
(insert handled ids, trim old ones). The owner, `taskflow_audit`, is for migrations only.

Revision ID: 0004_writer_role
Revises: 0003_inbox_handled_at
Create Date: 2026-12-07 15:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004_writer_role"
down_revision: str | None = "0003_inbox_handled_at"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WRITER = "taskflow_audit_writer"
GRANTS = [
    f"GRANT USAGE ON SCHEMA audit TO {WRITER}",
    f"GRANT SELECT, INSERT ON audit.entries TO {WRITER}",
    f"GRANT SELECT, UPDATE ON audit.chain_head TO {WRITER}",
    f"GRANT SELECT, INSERT, DELETE ON audit.inbox TO {WRITER}",
]


def upgrade() -> None:
    for statement in GRANTS:
        op.execute(statement)


def downgrade() -> None:
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA audit FROM {WRITER}")
    op.execute(f"REVOKE USAGE ON SCHEMA audit FROM {WRITER}")
