"""Entries carry the trace id of the request that caused their event.

`trace_id` is the W3C trace id (32 lower-case hex digits) from the event envelope's
`traceparent`, so that an auditor can find every entry one request caused and follow it into
the services' logs. It is correlation metadata, not evidence: it is outside the hash (the
chain's documented hash input does not change, so exports of older entries verify as
before). Adding a nullable column rewrites nothing and fires no row trigger.

Revision ID: 0006_trace_id
Revises: 0005_retention_floor
Create Date: 2026-12-07 23:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006_trace_id"
down_revision: str | None = "0005_retention_floor"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE audit.entries ADD COLUMN trace_id text "
        "CONSTRAINT entries_trace_id_shape CHECK (trace_id ~ '^[0-9a-f]{32}$')"
    )
    op.execute(
        "CREATE INDEX ix_entries_trace_id ON audit.entries (trace_id, seq) "
        "WHERE trace_id IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX audit.ix_entries_trace_id")
    op.execute("ALTER TABLE audit.entries DROP COLUMN trace_id")
