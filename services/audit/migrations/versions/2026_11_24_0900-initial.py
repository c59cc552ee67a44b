"""The audit log: entries, chain head, purge records, retention policy, legal holds.

Append-only is enforced by the database, not by the service's good manners:
- a statement trigger refuses UPDATE and TRUNCATE of `entries` from everyone, and DELETE from
  everyone but `taskflow_audit_retention` (the owner included: a compromised consumer cannot
  rewrite history either); the owner also revokes those privileges from itself;
- `purges` (the retention job's receipts) can only ever be inserted;
- `chain_head` can only move forward;
- the api's role `taskflow_audit_api` may SELECT everything (default privileges, so later
  tables too) and write only the two configuration tables (retention policy, legal holds).

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-24 09:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64

GUARDS = [
    """
    CREATE FUNCTION audit.refuse_rewrite() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'entries'
           AND current_user = 'taskflow_audit_retention' THEN
            RETURN NULL;
        END IF;
        RAISE EXCEPTION 'the audit log is append-only: % on %.% refused for role %',
            TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, current_user
            USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    "CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON audit.entries"
    " FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_rewrite()",
    "CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON audit.entries"
    " FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_rewrite()",
    "CREATE TRIGGER purges_append_only BEFORE UPDATE OR DELETE ON audit.purges"
    " FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_rewrite()",
    "CREATE TRIGGER purges_no_truncate BEFORE TRUNCATE ON audit.purges"
    " FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_rewrite()",
    """
    CREATE FUNCTION audit.head_moves_forward() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'UPDATE' OR NEW.id <> OLD.id OR NEW.last_seq <= OLD.last_seq THEN
            RAISE EXCEPTION 'the audit chain head only moves forward'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END
    $$
    """,
    "CREATE TRIGGER chain_head_forward BEFORE UPDATE OR DELETE ON audit.chain_head"
    " FOR EACH ROW EXECUTE FUNCTION audit.head_moves_forward()",
    "CREATE TRIGGER chain_head_no_truncate BEFORE TRUNCATE ON audit.chain_head"
    " FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_rewrite()",
    # The owner gives up what it must never do (it could grant it back, but only by a
    # visible DDL statement; the triggers stop it meanwhile).
    "REVOKE UPDATE, DELETE, TRUNCATE ON audit.entries FROM taskflow_audit",
    "REVOKE UPDATE, DELETE, TRUNCATE ON audit.purges FROM taskflow_audit",
    "REVOKE DELETE, TRUNCATE ON audit.chain_head FROM taskflow_audit",
]

GRANTS = [
    "GRANT SELECT ON ALL TABLES IN SCHEMA audit TO taskflow_audit_api",
    "ALTER DEFAULT PRIVILEGES IN SCHEMA audit GRANT SELECT ON TABLES TO taskflow_audit_api",
    "GRANT INSERT, UPDATE ON audit.retention_policy TO taskflow_audit_api",
    "GRANT INSERT, DELETE ON audit.legal_holds TO taskflow_audit_api",
    "GRANT SELECT, DELETE ON audit.entries TO taskflow_audit_retention",
    "GRANT SELECT ON audit.chain_head, audit.legal_holds, audit.retention_policy, audit.purges"
    " TO taskflow_audit_retention",
    "GRANT INSERT ON audit.purges TO taskflow_audit_retention",
]


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE audit.entries (
            seq         bigint      NOT NULL,
            event_id    uuid        NOT NULL,
            type        text        NOT NULL,
            actor_id    uuid,
            subject     text,
            project_id  uuid,
            occurred_at timestamptz NOT NULL,
            recorded_at timestamptz NOT NULL,
            payload     json        NOT NULL,
            prev_hash   text        NOT NULL,
            hash        text        NOT NULL,
            CONSTRAINT pk_entries PRIMARY KEY (seq),
            CONSTRAINT uq_entries_event_id UNIQUE (event_id),
            CONSTRAINT ck_entries_seq_positive CHECK (seq > 0),
            CONSTRAINT ck_entries_hash_hex CHECK (hash ~ '^[0-9a-f]{64}$'),
            CONSTRAINT ck_entries_prev_hash_hex CHECK (prev_hash ~ '^[0-9a-f]{64}$')
        )
        """
    )
    # Filters of the search api, newest first by seq. Timestamps grow with seq, so BRIN
    # indexes (a few pages for millions of rows) serve the time windows and the purge.
    op.execute("CREATE INDEX ix_entries_actor_seq ON audit.entries (actor_id, seq)")
    op.execute("CREATE INDEX ix_entries_project_seq ON audit.entries (project_id, seq)")
    op.execute("CREATE INDEX ix_entries_type_seq ON audit.entries (type, seq)")
    op.execute("CREATE INDEX ix_entries_subject_seq ON audit.entries (subject, seq)")
    op.execute("CREATE INDEX ix_entries_occurred_brin ON audit.entries USING brin (occurred_at)")
    op.execute("CREATE INDEX ix_entries_recorded_brin ON audit.entries USING brin (recorded_at)")

    op.execute(
        f"""
        CREATE TABLE audit.chain_head (
            id         smallint    NOT NULL,
            last_seq   bigint      NOT NULL,
            last_hash  text        NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_chain_head PRIMARY KEY (id),
            CONSTRAINT ck_chain_head_single_row CHECK (id = 1)
        )
        """
    )
    op.execute(f"INSERT INTO audit.chain_head (id, last_seq, last_hash) VALUES (1, 0, '{GENESIS}')")
    op.execute(
        """
        CREATE TABLE audit.purges (
            id              bigint GENERATED ALWAYS AS IDENTITY,
            first_seq       bigint      NOT NULL,
            last_seq        bigint      NOT NULL,
            first_prev_hash text        NOT NULL,
            last_hash       text        NOT NULL,
            count           integer     NOT NULL,
            cutoff          timestamptz NOT NULL,
            purged_at       timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_purges PRIMARY KEY (id),
            CONSTRAINT uq_purges_first_seq UNIQUE (first_seq),
            CONSTRAINT ck_purges_ordered CHECK (last_seq >= first_seq)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE audit.retention_policy (
            id         smallint    NOT NULL,
            days       integer     NOT NULL,
            version    integer     NOT NULL,
            updated_at timestamptz NOT NULL,
            updated_by uuid,
            CONSTRAINT pk_retention_policy PRIMARY KEY (id),
            CONSTRAINT ck_retention_policy_single_row CHECK (id = 1),
            CONSTRAINT ck_retention_policy_days_positive CHECK (days >= 1)
        )
        """
    )
    op.execute(
        """
        CREATE TABLE audit.legal_holds (
            project_id uuid        NOT NULL,
            reason     text,
            created_at timestamptz NOT NULL,
            created_by uuid,
            CONSTRAINT pk_legal_holds PRIMARY KEY (project_id)
        )
        """
    )

    # --- append-only guards -------------------------------------------------------------
    for statement in GUARDS + GRANTS:
        op.execute(statement)


def downgrade() -> None:
    for table in ("legal_holds", "retention_policy", "purges", "chain_head", "entries"):
        op.execute(f"DROP TABLE audit.{table}")
    op.execute("DROP FUNCTION audit.head_moves_forward()")
    op.execute("DROP FUNCTION audit.refuse_rewrite()")
