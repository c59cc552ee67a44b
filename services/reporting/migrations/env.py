"""Alembic environment of the reporting schema (version table inside `reporting`)."""

from taskflow.common.migrations import run_migrations
from taskflow.reporting.db import SCHEMA, metadata

run_migrations(metadata, SCHEMA, env_var="REPORTING_DATABASE_URL")
