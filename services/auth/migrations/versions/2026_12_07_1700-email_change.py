"""email change: one-time tokens of purpose `change_email` carry the address they confirm

Revision ID: 0003_email_change
Revises: 0002_memberships
Create Date: 2026-12-07 17:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_email_change"
down_revision: str | None = "0002_memberships"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CK = "ck_one_time_tokens_purpose_known"


def upgrade() -> None:
    op.add_column(
        "one_time_tokens", sa.Column("new_email", sa.String(length=254)), schema="auth"
    )
    op.drop_constraint(op.f(CK), "one_time_tokens", schema="auth", type_="check")
    op.create_check_constraint(
        op.f(CK),
        "one_time_tokens",
        "purpose IN ('verify_email', 'password_reset', 'change_email')",
        schema="auth",
    )


def downgrade() -> None:
    op.execute("DELETE FROM auth.one_time_tokens WHERE purpose = 'change_email'")
    op.drop_constraint(op.f(CK), "one_time_tokens", schema="auth", type_="check")
    op.create_check_constraint(
        op.f(CK), "one_time_tokens", "purpose IN ('verify_email', 'password_reset')", schema="auth"
    )
    op.drop_column("one_time_tokens", "new_email", schema="auth")
