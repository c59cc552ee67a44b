"""Settings of the auth service (env prefix `AUTH_`)."""

from __future__ import annotations

import base64
import binascii
import ipaddress

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from taskflow.common.settings import ServiceSettings

#: Development-only key encryption key (32 zero-ish bytes, base64). The base settings refuse
#: a SecretStr equal to its default in production, so this can never protect real data.
DEV_KEY_ENCRYPTION_KEY = base64.b64encode(b"taskflow-dev-key-encryption-key!").decode()


class Settings(ServiceSettings):
    """Auth settings. Costs and lifetimes are settings so tests can make hashing cheap."""

    model_config = SettingsConfigDict(
        env_prefix="AUTH_", env_file=None, extra="ignore", validate_default=True
    )

    service_name: str = "auth"
    db_schema: str = "auth"
    port: int = Field(default=8001, ge=1, le=65535)

    #: AES-256-GCM key (base64 of 32 bytes) that encrypts TOTP secrets and signing keys.
    key_encryption_key: SecretStr = SecretStr(DEV_KEY_ENCRYPTION_KEY)

    # argon2id. Why these numbers: docs/performance.md "## Auth".
    argon2_time_cost: int = Field(default=3, ge=1, le=10)
    argon2_memory_cost_kib: int = Field(default=64 * 1024, ge=8, le=1024 * 1024)
    argon2_parallelism: int = Field(default=1, ge=1, le=8)
    #: How many hashes may run at once: each holds `argon2_memory_cost_kib` of RAM and a core.
    password_hash_concurrency: int = Field(default=2, ge=1, le=64)
    #: How many more may wait for a slot; past that a sign-in is answered 503 at once.
    password_hash_queue: int = Field(default=32, ge=0, le=10_000)

    access_token_ttl_seconds: int = Field(default=15 * 60, ge=30, le=3600)
    #: Clock skew other services accept (must match taskflow.common's verifier leeway).
    token_leeway_seconds: int = Field(default=30, ge=0, le=300)
    #: A session (refresh token family) ends this long after login, whatever happens.
    session_ttl_seconds: int = Field(default=30 * 24 * 3600, ge=60)
    #: A session nobody refreshed for this long ends too.
    session_idle_seconds: int = Field(default=7 * 24 * 3600, ge=60)
    mfa_challenge_ttl_seconds: int = Field(default=5 * 60, ge=30, le=3600)
    mfa_challenge_max_attempts: int = Field(default=5, ge=1, le=20)
    verify_email_ttl_seconds: int = Field(default=48 * 3600, ge=60)
    password_reset_ttl_seconds: int = Field(default=3600, ge=60)
    pat_max_ttl_days: int = Field(default=366, ge=1)
    signing_key_cache_seconds: float = Field(default=30.0, ge=0)

    # Throttling of sign-in attempts (Redis, counted before the password is checked): `free`
    # attempts per window are evaluated, the one that uses up the allowance locks for
    # `base_delay`, doubling with each further attempt (docs/services/auth.md).
    throttle_account_free: int = Field(default=5, ge=1)
    throttle_ip_free: int = Field(default=20, ge=1)
    throttle_base_delay_seconds: int = Field(default=2, ge=1)
    throttle_max_delay_seconds: int = Field(default=15 * 60, ge=1)
    throttle_window_seconds: int = Field(default=3600, ge=60)

    #: At most one reset / verification mail per address in this many seconds.
    mail_interval_seconds: int = Field(default=60, ge=0)

    #: Refresh cookies are `Secure`; only a plain-http dev setup may turn that off.
    cookie_secure: bool = True
    #: Peers (IPs or CIDR networks) whose X-Forwarded-For is believed: the gateway, which
    #: sets the header to the address it was connected from (never appending a client's).
    #: A request from any other address is taken at its socket address, so a client talking
    #: to auth directly cannot pick the IP its attempts count against. The default is
    #: loopback only (`make dev`); a deployment names its gateway's addresses (compose and
    #: the Helm chart do). A whole private range is not a safe default: any pod or container
    #: in it could then pick its IP. Empty: never trust the header.
    trusted_proxies: list[str] = Field(default=["127.0.0.1/32", "::1/128"], max_length=64)

    @field_validator("key_encryption_key")
    @classmethod
    def _kek_is_32_bytes(cls, value: SecretStr) -> SecretStr:
        """A KEK that is not base64 of exactly 32 bytes is a configuration error."""
        try:
            raw = base64.b64decode(value.get_secret_value(), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("key_encryption_key must be base64") from None
        if len(raw) != 32:
            raise ValueError("key_encryption_key must decode to 32 bytes")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, value: list[str]) -> list[str]:
        """Each entry must be an IP address or network; a typo must not silently trust nobody."""
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"trusted_proxies: {entry!r} is not an IP address or network"
                ) from None
        return value

    def proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """`trusted_proxies` parsed."""
        return tuple(ipaddress.ip_network(e, strict=False) for e in self.trusted_proxies)

    @model_validator(mode="after")
    def _production_hashing(self) -> Settings:
        """Production must not run with the cheap test parameters."""
        if self.environment == "production" and self.argon2_memory_cost_kib < 19 * 1024:
            raise ValueError("argon2_memory_cost_kib below the OWASP minimum in production")
        if self.environment == "production" and not self.cookie_secure:
            raise ValueError("cookie_secure must stay on in production")
        return self

    def kek_bytes(self) -> bytes:
        """The raw 32-byte key encryption key."""
        return base64.b64decode(self.key_encryption_key.get_secret_value())
