"""search vector carries a project lexeme (search scoped inside the GIN index)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 10:00:00

PostgreSQL 15 cannot change a generated column's expression in place: the column is dropped
and added again (a table rewrite), and its GIN index rebuilt.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = (
    "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'B')"
)
NEW = OLD + " || to_tsvector('simple'::regconfig, 'prj' || replace(project_id::text, '-', ''))"


def _swap(expression: str) -> None:
    op.drop_index("ix_tasks_search", table_name="tasks", schema="tasks")
    op.drop_column("tasks", "search", schema="tasks")
    op.add_column(
        "tasks",
        sa.Column(
            "search", postgresql.TSVECTOR(), sa.Computed(expression, persisted=True), nullable=False
        ),
        schema="tasks",
    )
    op.create_index(
        "ix_tasks_search", "tasks", ["search"], unique=False, schema="tasks",
        postgresql_using="gin",
    )


def upgrade() -> None:
    _swap(NEW)


def downgrade() -> None:
    _swap(OLD)
