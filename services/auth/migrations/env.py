"""Alembic environment of the auth service (version table in schema `auth`)."""

from taskflow.auth.models import metadata
from taskflow.common.migrations import run_migrations

run_migrations(metadata, "auth", env_var="AUTH_DATABASE_URL")
