"""Alembic environment of the tasks schema (see taskflow.common.migrations)."""

from taskflow.common.migrations import run_migrations
from taskflow.tasks.models import Base

run_migrations(Base.metadata, "tasks", env_var="TASKS_DATABASE_URL")
