"""The shared production switch reaches auth: dev key, dev passwords, plain cookies refused."""

from __future__ import annotations

import base64
import os

import pytest
from pydantic import ValidationError

from taskflow.auth.config import Settings

LIVE = {
    "database_url": "postgresql+asyncpg://taskflow_auth:Xy7w3kq@db/taskflow",
    "amqp_url": "amqp://auth:Zq8x1mm@mq:5672/",
    "redis_url": "redis://:Pq9s2aa@cache:6379/0",
    "key_encryption_key": base64.b64encode(os.urandom(32)).decode(),
}


def test_production_switch_refuses_what_only_development_may_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AUTH_ENVIRONMENT", raising=False)
    monkeypatch.setenv("TASKFLOW_ENVIRONMENT", "production")
    assert Settings(**LIVE).environment == "production"
    refused = {
        "key_encryption_key": {},  # the development key
        "cookie_secure": {"cookie_secure": False},
        "redis_url": {"redis_url": "redis://:dev-redis-password@cache:6379/0"},
    }
    for name, change in refused.items():
        values = {**LIVE, **change}
        if name == "key_encryption_key":
            values.pop("key_encryption_key")
        with pytest.raises(ValidationError) as info:
            Settings(**values)
        assert name in str(info.value)
        assert "dev-redis-password" not in str(info.value)
