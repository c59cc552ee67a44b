"""Three roles, three URLs: the api must never default to the owner's role."""

from __future__ import annotations

import pytest

from taskflow.audit.config import Settings


def test_roles_by_default() -> None:
    s = Settings()
    assert "taskflow_audit_api@" in s.database_url.get_secret_value()
    assert "taskflow_audit@" in s.worker_database_url.get_secret_value()
    assert "taskflow_audit_retention@" in s.retention_database_url.get_secret_value()
    assert {"reset_url", "verify_url", "password", "token"} <= s.redact_set


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDIT_DATABASE_URL", "postgresql+asyncpg://reader@db/x")
    monkeypatch.setenv("AUDIT_REDACT_FIELDS", '["ssn"]')
    s = Settings()
    assert s.database_url.get_secret_value() == "postgresql+asyncpg://reader@db/x"
    assert s.redact_set == frozenset({"ssn"})
