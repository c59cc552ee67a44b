"""Three roles, three URLs: the api must never default to the owner's role."""

from __future__ import annotations

import pytest

from taskflow.audit.config import Settings


def test_roles_by_default() -> None:
    s = Settings()
    assert "taskflow_audit_api@" in s.database_url.get_secret_value()
    assert "taskflow_audit_writer@" in s.worker_database_url.get_secret_value()
    assert "taskflow_audit@" in s.migration_database_url.get_secret_value()
    assert "taskflow_audit_retention@" in s.retention_database_url.get_secret_value()
    assert s.redaction.paths_for("user.password_reset_requested") == [
        ("reset_url",),
        ("password",),
        ("secret",),
    ]


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDIT_DATABASE_URL", "postgresql+asyncpg://reader@db/x")
    monkeypatch.setenv("AUDIT_REDACT_FIELDS", '["ssn", "task.created:meta.pin"]')
    s = Settings()
    assert s.database_url.get_secret_value() == "postgresql+asyncpg://reader@db/x"
    assert s.redaction.paths_for("task.created") == [("ssn",), ("meta", "pin")]
    assert s.redaction.paths_for("task.deleted") == [("ssn",)]


@pytest.mark.parametrize("rule", ["a..b", ":x", "x:", ""])
def test_malformed_redaction_rules_refused_at_start(rule: str) -> None:
    with pytest.raises(ValueError):
        Settings(redact_fields=[rule])


@pytest.mark.parametrize(("configured", "floor"), [(None, 365), (30, 90), (1, 90), (730, 730)])
def test_retention_floor_is_never_below_90_days(configured: int | None, floor: int) -> None:
    s = Settings() if configured is None else Settings(retention_min_days=configured)
    assert s.retention_floor_days == floor
    assert (
        Settings(retention_days=1, retention_min_days=configured or 365).default_retention_days
        == floor
    )
