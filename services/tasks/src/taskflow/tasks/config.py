"""Settings of the tasks service (env prefix `TASKS_`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from taskflow.common.settings import ServiceSettings


class Settings(ServiceSettings):
    """Everything the tasks api and worker read from the environment."""

    model_config = SettingsConfigDict(
        env_prefix="TASKS_", env_file=None, extra="ignore", validate_default=True
    )

    service_name: str = "tasks"
    db_schema: str = "tasks"
    port: int = Field(default=8002, ge=1, le=65535)

    #: Where auth answers `GET /api/v1/users?email=` (member look-up by email).
    auth_url: str = "http://127.0.0.1:8001"
    auth_timeout: float = Field(default=2.0, gt=0)
    auth_retries: int = Field(default=3, ge=1)
    auth_breaker_fail_max: int = Field(default=5, ge=1)
    auth_breaker_reset_timeout: float = Field(default=30.0, gt=0)

    #: Soft-deleted projects, tasks and comments older than this are purged by the worker.
    trash_retention_days: int = Field(default=30, ge=1)
    purge_interval_seconds: float = Field(default=3600.0, gt=0)
    #: How often the worker looks for fixed-schedule recurring tasks whose next one is due.
    recurrence_interval_seconds: float = Field(default=60.0, gt=0)
    #: Idempotency keys are remembered this long.
    idempotency_ttl_seconds: int = Field(default=24 * 3600, ge=60)
    #: CSV import bodies may be larger than ordinary JSON bodies (`max_body_bytes`, 1 MiB);
    #: the gateway lets 10 MiB through on the import route only, and so does the api.
    import_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    import_max_rows: int = Field(default=5000, ge=1)
    bulk_max_operations: int = Field(default=500, ge=1)
