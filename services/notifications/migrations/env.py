"""Alembic environment of the notifications service (version table in its own schema)."""

from taskflow.common.migrations import run_migrations
from taskflow.notifications.models import metadata

run_migrations(metadata, "notifications", env_var="NOTIFICATIONS_DATABASE_URL")
