"""Settings of the audit service (env prefix `AUDIT_`).

The service uses four database roles on purpose (see docs/services/audit.md): the api reads
as `taskflow_audit_api` (`AUDIT_DATABASE_URL`), the consumer appends as `taskflow_audit_writer`
(`AUDIT_WORKER_DATABASE_URL`: INSERT/SELECT on the log, not the owner, so it cannot drop the
append-only triggers), only the retention job deletes, as `taskflow_audit_retention`
(`AUDIT_RETENTION_DATABASE_URL`), and only migrations run as the schema owner `taskflow_audit`
(`AUDIT_MIGRATION_DATABASE_URL`). A bug or an injection in the api therefore cannot rewrite the
log: its role has no write privilege on the chain at all.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from taskflow.audit.chain.redaction import RedactionRules, parse_rule
from taskflow.common.settings import ServiceSettings

_DEV_DB = "127.0.0.1:5432/taskflow"

#: No configuration can lower the retention floor below this (see migration 0004).
HARD_FLOOR_DAYS = 90

#: Payload places that never enter the log, on top of each event class's `sensitive_fields`:
#: `[<event type>:]<dotted path>` (see taskflow.audit.chain.redaction). Places, not words: a
#: bare name is a TOP-LEVEL field, so a harmless nested `code` or `token_count` is kept. The
#: links are the contracts' own sensitive fields too; naming them here keeps them out even
#: if a later contract version forgot to declare them.
DEFAULT_REDACT_FIELDS: tuple[str, ...] = (
    "user.verification_requested:verify_url",
    "user.password_reset_requested:reset_url",
    "user.email_change_requested:confirm_url",
    "project.invitation_mail_requested:invite_url",
    "password",
    "secret",
)


class Settings(ServiceSettings):
    """Everything the audit api and worker read from the environment."""

    model_config = SettingsConfigDict(
        env_prefix="AUDIT_", env_file=None, extra="ignore", validate_default=True
    )

    service_name: str = "audit"
    db_schema: str = "audit"
    port: int = Field(default=8004, ge=1, le=65535)

    #: The consumer's connection: appends to the chain and trims its inbox, nothing more.
    worker_database_url: SecretStr = SecretStr(
        f"postgresql+asyncpg://taskflow_audit_writer@{_DEV_DB}"
    )
    #: The schema owner's connection, for `taskflow-audit migrate` only.
    migration_database_url: SecretStr = SecretStr(f"postgresql+asyncpg://taskflow_audit@{_DEV_DB}")
    #: The retention job's connection: the only role the trigger lets DELETE entries.
    retention_database_url: SecretStr = SecretStr(
        f"postgresql+asyncpg://taskflow_audit_retention@{_DEV_DB}"
    )

    queue: str = "audit.events"
    #: Messages the consumer may hold unacknowledged: twice the batch, so that the broker
    #: delivers the next batch while the current one is being appended.
    prefetch: int = Field(default=2000, ge=1, le=20_000)
    #: Largest number of entries appended in one transaction.
    batch_size: int = Field(default=1000, ge=1, le=10_000)
    #: How long a partial batch waits for more messages before it is appended. At a live
    #: system's rate a batch's fixed work (ping, BEGIN, the head lock, COMMIT, the ack) is
    #: most of an event's CPU, so a longer wait shares it among more events (well inside
    #: the one-second lag the load test asks for).
    batch_wait_seconds: float = Field(default=0.2, ge=0)

    #: Redaction rules `[<event type>:]<dotted path>` (JSON list in `AUDIT_REDACT_FIELDS`).
    redact_fields: list[str] = Field(default_factory=lambda: list(DEFAULT_REDACT_FIELDS))

    #: Entries recorded longer ago than this are purged (unless their project is on hold);
    #: the api can change it (`PUT /api/v1/audit/retention`), this is the value until then.
    retention_days: int = Field(default=2555, ge=1)  # about 7 years, a common banking rule
    #: The shortest retention anyone may set through the api, and the least the purge keeps.
    #: Whatever this says, the floor in force is never below HARD_FLOOR_DAYS (90): see
    #: `retention_floor_days`. The database refuses deletes under 90 days on its own too.
    retention_min_days: int = Field(default=365, ge=1)
    #: How often the worker appends recorded policy and legal-hold changes to the chain.
    admin_changes_interval_seconds: float = Field(default=2.0, gt=0)
    retention_interval_seconds: float = Field(default=3600.0, gt=0)
    #: Rows deleted per purge transaction (keeps locks and WAL bursts short).
    retention_chunk: int = Field(default=10_000, ge=1)

    #: Rows fetched per round trip by verification and export.
    stream_chunk: int = Field(default=5_000, ge=100)

    @model_validator(mode="before")
    @classmethod
    def _default_api_database_url(cls, data: Any) -> Any:
        """The api reads as `taskflow_audit_api`, not as the owner (the base default)."""
        if isinstance(data, dict) and "database_url" not in data:
            data = dict(data)
            data["database_url"] = f"postgresql+asyncpg://taskflow_audit_api@{_DEV_DB}"
        return data

    #: Inbox rows (handled event ids) older than this are trimmed by the worker. The inbox only
    #: has to outlive redeliveries (minutes, at most the retry delays); the unique `event_id`
    #: of the entries still refuses a later copy of an event whose entry is kept.
    inbox_retention_days: int = Field(default=30, ge=1)

    @property
    def retention_floor_days(self) -> int:
        """The retention floor in force: the configured minimum, never below 90 days."""
        return max(HARD_FLOOR_DAYS, self.retention_min_days)

    @property
    def default_retention_days(self) -> int:
        """The retention until a policy is set: the configured default, raised to the floor."""
        return max(self.retention_days, self.retention_floor_days)

    @field_validator("redact_fields")
    @classmethod
    def _rules_parse(cls, value: list[str]) -> list[str]:
        """A malformed rule fails at start-up, not silently at the first secret."""
        for spec in value:
            parse_rule(spec)
        return value

    @property
    def redaction(self) -> RedactionRules:
        """The redaction rules, parsed."""
        return RedactionRules.of(self.redact_fields)
