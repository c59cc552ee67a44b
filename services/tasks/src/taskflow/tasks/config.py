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

    # --- invitations of addresses without an account (taskflow.tasks.invitations) ----------
    #: An invitation not accepted within this many days is no longer honoured nor listed.
    invitation_ttl_days: int = Field(default=14, ge=1, le=90)
    #: Live invitations a project may hold at once (a bound on mail sent to strangers).
    invitations_max_pending: int = Field(default=200, ge=1)
    #: Invitation mails one user may cause in 24 hours, over all projects (creating projects
    #: must not turn the per-project cap into a way to mail strangers at will).
    invitations_max_per_inviter_per_day: int = Field(default=50, ge=1)

    # --- outgoing webhooks (taskflow.tasks.webhooks; docs/webhooks.md) ---------------------
    #: Private, loopback and link-local targets: refused in production unless set to true;
    #: allowed in development and test unless set to false (a receiver on loopback).
    webhooks_allow_private_targets: bool | None = None
    webhooks_connect_timeout: float = Field(default=3.0, gt=0)
    webhooks_read_timeout: float = Field(default=10.0, gt=0)
    #: At most this much of a receiver's answer is read (the delivery log keeps it).
    webhooks_max_response_bytes: int = Field(default=4096, ge=0, le=65536)
    #: The dispatcher looks for due deliveries this often, with this many sends in flight.
    webhooks_poll_seconds: float = Field(default=1.0, gt=0)
    webhooks_concurrency: int = Field(default=8, ge=1, le=64)
    webhooks_breaker_fail_max: int = Field(default=5, ge=1)
    webhooks_breaker_reset_seconds: float = Field(default=60.0, gt=0)
    #: An endpoint whose attempts failed for this long in a row is deactivated.
    webhooks_disable_after_days: float = Field(default=5.0, gt=0)
    #: After a rotation, the old secret keeps signing for this long.
    webhooks_rotation_overlap_hours: float = Field(default=24.0, ge=0)
    webhooks_max_per_project: int = Field(default=20, ge=1)

    @property
    def webhooks_private_allowed(self) -> bool:
        """Whether webhook targets may be non-public addresses (see the field above)."""
        if self.webhooks_allow_private_targets is not None:
            return self.webhooks_allow_private_targets
        return self.environment != "production"

    @property
    def webhooks_require_https(self) -> bool:
        """Production hooks must use https (signatures prove origin, not confidentiality)."""
        return self.environment == "production"
