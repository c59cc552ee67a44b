"""Alembic environment of the audit schema (run as the owner role `taskflow_audit`)."""

from taskflow.audit.db import SCHEMA, metadata
from taskflow.common.migrations import run_migrations

run_migrations(metadata, SCHEMA, env_var="AUDIT_WORKER_DATABASE_URL")
