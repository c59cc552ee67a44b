"""Settings base every service subclasses (one env prefix per service).

Secrets are `SecretStr` so that `repr()`, logs and error messages never show them, and a
production process refuses to start with a placeholder secret (a forgotten `.env` must not
become a live system with the development password).
"""

from __future__ import annotations

import os
import re
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from taskflow.common.logging import mask_credentials

Environment = Literal["development", "test", "production"]

#: The one switch every service (and the compose file, and the gateway) reads when its own
#: `<PREFIX>_ENVIRONMENT` is not set: `TASKFLOW_ENVIRONMENT=production`.
GLOBAL_ENVIRONMENT_VAR = "TASKFLOW_ENVIRONMENT"

#: Values that mean "nobody set this secret"; refused in production.
PLACEHOLDER_SECRETS = frozenset(
    {"", "changeme", "change-me", "change_me", "secret", "password", "guest", "dev", "test", "xxx"}
)
#: Development values as `.env.example`, the demo seed and the docs spell them (`dev-...`,
#: `example...`, `...change-me...`): a copied development file must not go live.
_DEVELOPMENT_SECRET = re.compile(
    r"^(dev|development|test|demo|local|example|sample|dummy|insecure)([-_.]|$)"
    r"|change[-_ ]?me|placeholder|correct-horse-battery",
    re.IGNORECASE,
)


def is_placeholder_secret(raw: str) -> bool:
    """True for an empty, placeholder or development-looking secret value."""
    value = raw.strip()
    return value.lower() in PLACEHOLDER_SECRETS or bool(_DEVELOPMENT_SECRET.search(value))


def _url_password(url: str) -> str | None:
    """The password part of a URL, or None when it has none."""
    try:
        return urlsplit(url).password
    except ValueError:
        return None


class ServiceSettings(BaseSettings):
    """Common settings; a service subclasses it and sets `env_prefix` in `model_config`."""

    model_config = SettingsConfigDict(
        env_prefix="TASKFLOW_",
        env_file=None,
        extra="ignore",
        validate_default=True,
        # A refused setting's error goes to the start-up log: never with the values in it.
        hide_input_in_errors=True,
    )

    service_name: str = "taskflow"
    environment: Environment = "development"

    database_url: SecretStr = SecretStr("postgresql+asyncpg://taskflow@127.0.0.1:5432/taskflow")
    db_schema: str = "public"
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)
    db_pool_timeout: float = Field(default=10.0, gt=0)
    db_statement_timeout_ms: int = Field(default=15_000, ge=0)
    #: Seconds the client waits for any one answer from the database (0 = forever). Above the
    #: statement timeout, so the server's own timeout answers first; it fires only when the
    #: server (or the way to it) is silent, and turns a hung request into a 503.
    db_command_timeout: float = Field(default=20.0, ge=0)
    #: A pooled connection idle at least this long is pinged before use; 0 pings every time
    #: (SQLAlchemy's pre-ping). See `Database._check_out`.
    db_ping_after_idle_s: float = Field(default=1.0, ge=0)

    amqp_url: SecretStr = SecretStr("amqp://guest:guest@127.0.0.1:5672/")
    events_exchange: str = "taskflow.events"

    redis_url: SecretStr = SecretStr("redis://127.0.0.1:6379/0")
    redis_prefix: str = "taskflow"
    #: Seconds to connect to Redis and to wait for each reply. Redis answers in well under a
    #: millisecond on a healthy network, so a second means it is hung or partitioned away.
    redis_timeout: float = Field(default=1.0, gt=0, le=30)

    jwks_url: str = "http://127.0.0.1:8001/api/v1/auth/.well-known/jwks.json"
    jwks_cache_ttl: float = Field(default=300.0, gt=0)
    jwks_refresh_min_interval: float = Field(default=10.0, ge=0)
    jwt_issuer: str = "taskflow-auth"
    jwt_audience: str = "taskflow"

    cors_origins: list[str] = Field(default_factory=list)
    log_level: str = "INFO"
    log_json: bool = True
    public_base_url: str = "http://localhost:8080"

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1)
    readiness_timeout: float = Field(default=2.0, gt=0)
    #: Where a worker process serves its Prometheus metrics (the api serves them on `/metrics`
    #: of `port`); 0 = not served.
    metrics_port: int = Field(default=0, ge=0, le=65535)
    #: OpenTelemetry trace export (OTLP over HTTP, e.g. `http://collector:4318`): spans of
    #: requests and consumed events go there. Empty = off: no exporter, no export thread.
    otlp_endpoint: str = ""
    #: The share of new traces recorded (a request's sampled flag is followed either way).
    trace_sample_ratio: float = Field(default=1.0, ge=0, le=1)

    @model_validator(mode="before")
    @classmethod
    def _global_environment(cls, data: Any) -> Any:
        """Without its own `<PREFIX>_ENVIRONMENT`, a service follows `TASKFLOW_ENVIRONMENT`."""
        if isinstance(data, dict) and "environment" not in data:
            shared = os.environ.get(GLOBAL_ENVIRONMENT_VAR)
            if shared:
                data = {**data, "environment": shared.strip().lower()}
        return data

    @model_validator(mode="before")
    @classmethod
    def _default_database_url(cls, data: Any) -> Any:
        """Default the database role to `taskflow_<service>` as init.sql creates it."""
        if isinstance(data, dict) and "database_url" not in data:
            service = data.get("service_name") or cls.model_fields["service_name"].default
            data = dict(data)
            data["database_url"] = (
                f"postgresql+asyncpg://taskflow_{service}@127.0.0.1:5432/taskflow"
            )
        return data

    @model_validator(mode="after")
    def _refuse_placeholders_in_production(self) -> ServiceSettings:
        """In production no secret may be empty, a placeholder or its development default.

        A URL without a password is allowed (certificate or IAM auth), one with a placeholder
        or development password is not.
        """
        if self.environment != "production":
            return self
        bad: list[str] = []
        for name, value in self.secret_fields().items():
            raw = value.get_secret_value()
            field = type(self).model_fields[name]
            default = (
                field.default.get_secret_value() if isinstance(field.default, SecretStr) else None
            )
            if "://" in raw:
                password = _url_password(raw)
                if raw == default or (password is not None and is_placeholder_secret(password)):
                    bad.append(name)
                continue
            if is_placeholder_secret(raw) or raw == default:
                bad.append(name)
        if bad:
            # Names only: the values are the secrets.
            raise ValueError(f"placeholder or missing secrets in production: {', '.join(bad)}")
        return self

    def secret_fields(self) -> dict[str, SecretStr]:
        """Every SecretStr field of this (sub)class by name."""
        return {
            name: value
            for name in type(self).model_fields
            if isinstance(value := getattr(self, name), SecretStr)
        }

    def safe_dump(self) -> dict[str, Any]:
        """The settings as a dict for logs: secrets masked, URL passwords hidden."""
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                raw = value.get_secret_value()
                out[name] = mask_credentials(raw) if "://" in raw else ("***" if raw else "")
            else:
                out[name] = value
        return out
