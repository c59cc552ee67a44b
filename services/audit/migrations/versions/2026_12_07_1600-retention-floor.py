"""Retention floor and recorded configuration changes.

- A row trigger on `audit.entries` refuses, even to `taskflow_audit_retention`, the deletion of
  an entry recorded less than 90 days ago or belonging to a project under legal hold. The
  service enforces its configured floor (365 days by default) before it gets here; this is the
  backstop that holds whatever the configuration or a bug in the purge says.
- `retention_policy.days` may not go below 90 either (rows already below are raised to 90).
- `audit.admin_changes`: a change of the retention policy or of a legal hold is written here by
  the api (INSERT only) in the same transaction as the change; the worker, as the chain's
  writer (`taskflow_audit_writer`; SELECT ... FOR UPDATE needs UPDATE), appends each one to the chain and deletes it (see taskflow.audit.retention.changes).
  The api role still cannot write the chain itself.

Revision ID: 0005_retention_floor
Revises: 0004_writer_role
Create Date: 2026-12-07 15:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005_retention_floor"
down_revision: str | None = "0004_writer_role"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The hard floor in days, whatever the deployment configures (mirrored in retention.floor).
HARD_FLOOR_DAYS = 90


def upgrade() -> None:
    op.execute(
        f"""
        CREATE FUNCTION audit.refuse_early_delete() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF OLD.recorded_at > now() - interval '{HARD_FLOOR_DAYS} days' THEN
                RAISE EXCEPTION 'audit entry % is younger than the retention floor', OLD.seq
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF OLD.project_id IS NOT NULL AND EXISTS (
                SELECT 1 FROM audit.legal_holds h WHERE h.project_id = OLD.project_id) THEN
                RAISE EXCEPTION 'audit entry % belongs to a project under legal hold', OLD.seq
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN OLD;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER entries_retention_floor BEFORE DELETE ON audit.entries"
        " FOR EACH ROW EXECUTE FUNCTION audit.refuse_early_delete()"
    )
    op.execute(f"UPDATE audit.retention_policy SET days = {HARD_FLOOR_DAYS} WHERE days < 90")
    op.execute(
        "ALTER TABLE audit.retention_policy DROP CONSTRAINT ck_retention_policy_days_positive"
    )
    op.execute(
        "ALTER TABLE audit.retention_policy ADD CONSTRAINT ck_retention_policy_days_floor"
        f" CHECK (days >= {HARD_FLOOR_DAYS})"
    )
    op.execute(
        """
        CREATE TABLE audit.admin_changes (
            event_id    uuid        NOT NULL,
            type        text        NOT NULL,
            actor_id    uuid,
            subject     text,
            project_id  uuid,
            occurred_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            payload     json        NOT NULL,
            CONSTRAINT pk_admin_changes PRIMARY KEY (event_id)
        )
        """
    )
    op.execute("GRANT INSERT ON audit.admin_changes TO taskflow_audit_api")
    op.execute("GRANT SELECT, UPDATE, DELETE ON audit.admin_changes TO taskflow_audit_writer")


def downgrade() -> None:
    op.execute("DROP TABLE audit.admin_changes")
    op.execute("ALTER TABLE audit.retention_policy DROP CONSTRAINT ck_retention_policy_days_floor")
    op.execute(
        "ALTER TABLE audit.retention_policy ADD CONSTRAINT ck_retention_policy_days_positive"
        " CHECK (days >= 1)"
    )
    op.execute("DROP TRIGGER entries_retention_floor ON audit.entries")
    op.execute("DROP FUNCTION audit.refuse_early_delete()")
