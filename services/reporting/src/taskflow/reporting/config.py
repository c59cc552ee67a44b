"""Settings of the reporting service (env prefix `REPORTING_`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from taskflow.common.settings import ServiceSettings


class Settings(ServiceSettings):
    """Reporting api and worker settings."""

    model_config = SettingsConfigDict(env_prefix="REPORTING_", env_file=None, extra="ignore")

    service_name: str = "reporting"
    db_schema: str = "reporting"
    port: int = Field(default=8005, ge=1, le=65535)
    #: Name of the worker's queue (bound to project.# and task.#).
    queue: str = "reporting.events"
    #: Messages the worker takes from the broker at once.
    prefetch: int = Field(default=64, ge=1)
    #: Events applied per transaction by `rebuild`.
    rebuild_batch: int = Field(default=2000, ge=1)
