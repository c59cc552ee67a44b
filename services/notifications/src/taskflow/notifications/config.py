"""Settings of the notifications service (env prefix `NOTIFICATIONS_`)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from taskflow.common.settings import ServiceSettings


class Settings(ServiceSettings):
    """Everything the api and the worker read from the environment."""

    model_config = SettingsConfigDict(
        env_prefix="NOTIFICATIONS_", env_file=None, extra="ignore", validate_default=True
    )

    service_name: str = "notifications"
    db_schema: str = "notifications"
    port: int = Field(default=8003, ge=1, le=65535)

    # Links in mails and the ICS feed URL point into the SPA behind the gateway.
    spa_base_url: str = "http://localhost:8080"

    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=1025, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_use_tls: bool = False
    smtp_start_tls: bool = False
    #: Seconds to connect and get the greeting (a server that is down or hung fails fast).
    smtp_timeout: float = Field(default=5.0, gt=0)
    #: Seconds to wait for each reply once connected, the end of DATA above all: a mail whose
    #: "250 accepted" came late must not be sent again (a duplicate), so this is long, as
    #: RFC 5321 4.5.3.2 advises (it says 10 minutes for DATA).
    smtp_reply_timeout: float = Field(default=60.0, gt=0)
    mail_from: str = "Taskflow <no-reply@taskflow.local>"

    # CalDAV: None switches the calendar channel off (mail then carries the .ics instead).
    caldav_url: str | None = None
    caldav_username: str | None = None
    caldav_password: SecretStr | None = None
    caldav_timeout: float = Field(default=5.0, gt=0)

    # One breaker per channel, state in Redis so every replica sees the same state.
    breaker_fail_max: int = Field(default=3, ge=1)
    breaker_reset_timeout: float = Field(default=30.0, gt=0)
    # Retries inside one attempt (tenacity, jittered exponential) before it counts as failed.
    send_retry_attempts: int = Field(default=2, ge=1)
    send_retry_wait_max: float = Field(default=0.5, ge=0)
    # Attempts of one delivery before it is failed for good and delivery_failed is published.
    delivery_max_attempts: int = Field(default=6, ge=1)
    delivery_backoff_base: float = Field(default=10.0, gt=0)
    delivery_backoff_cap: float = Field(default=3600.0, gt=0)
    delivery_batch: int = Field(default=20, ge=1)
    delivery_lease_seconds: float = Field(default=60.0, gt=0)

    sender_poll_interval: float = Field(default=1.0, gt=0)
    scheduler_poll_interval: float = Field(default=5.0, gt=0)
    # A reminder this much past its time is marked "late" in its text.
    reminder_late_after_seconds: float = Field(default=120.0, ge=0)

    ws_auth_timeout: float = Field(default=5.0, gt=0)
    ws_heartbeat_interval: float = Field(default=25.0, gt=0)
    ws_resume_limit: int = Field(default=200, ge=1, le=1000)
    #: `resume` messages a socket may send at once, and the seconds that earn one more.
    ws_resume_burst: int = Field(default=3, ge=1)
    ws_resume_interval: float = Field(default=10.0, gt=0)

    unread_cache_ttl: int = Field(default=300, ge=1)
    consumer_prefetch: int = Field(default=64, ge=1)
    # Batch mode of the libs/events consumer: up to this many events in one transaction
    # (one commit and one ack per batch), waiting at most `consumer_batch_wait_ms` for more.
    consumer_batch_size: int = Field(default=32, ge=1)
    # 100 ms: at a live system's rate (tens of events a second) 10 ms made nearly every batch
    # a batch of one, so each event paid the transaction's fixed work alone.
    consumer_batch_wait_ms: int = Field(default=100, ge=0)
    # Waits before the 2nd, 3rd, ... attempt of a failing event (then it is parked).
    consumer_retry_delays_ms: tuple[int, ...] = (1_000, 5_000, 30_000, 120_000)
