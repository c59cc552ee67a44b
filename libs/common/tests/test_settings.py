import pytest
from pydantic import SecretStr, ValidationError

from taskflow.common.settings import ServiceSettings


class TasksSettings(ServiceSettings):
    model_config = {**ServiceSettings.model_config, "env_prefix": "TFCTEST_"}
    service_name: str = "tasks"
    signing_secret: SecretStr = SecretStr("changeme")


def test_defaults_for_local_development() -> None:
    s = TasksSettings()
    assert s.database_url.get_secret_value() == (
        "postgresql+asyncpg://taskflow_tasks@127.0.0.1:5432/taskflow"
    )
    assert s.redis_url.get_secret_value().endswith("/0")
    assert s.amqp_url.get_secret_value().startswith("amqp://guest:guest@")


def test_env_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TFCTEST_DB_SCHEMA", "tasks")
    assert TasksSettings().db_schema == "tasks"


def test_production_refuses_placeholder_secrets() -> None:
    with pytest.raises(ValidationError) as info:
        TasksSettings(environment="production")
    text = str(info.value)
    assert "signing_secret" in text
    assert "amqp_url" in text
    assert "guest:guest" not in text


def test_production_accepts_real_secrets() -> None:
    s = TasksSettings(
        environment="production",
        signing_secret="a-real-long-random-value",
        amqp_url="amqp://tasks:Zq8x1@mq:5672/",
        redis_url="redis://:Pq9s2@cache:6379/0",
        database_url="postgresql+asyncpg://taskflow_tasks:Xy7w3@db/taskflow",
    )
    assert s.environment == "production"


def test_secrets_never_in_repr_or_safe_dump() -> None:
    s = TasksSettings(
        database_url="postgresql+asyncpg://u:hunter2@db/x", signing_secret="topsecretvalue"
    )
    assert "hunter2" not in repr(s)
    assert "topsecretvalue" not in repr(s)
    dump = s.safe_dump()
    assert "hunter2" not in str(dump)
    assert "topsecretvalue" not in str(dump)
    assert dump["database_url"] == "postgresql+asyncpg://***@db/x"
    assert dump["signing_secret"] == "***"


REAL = {
    "signing_secret": "a-real-long-random-value",
    "amqp_url": "amqp://tasks:Zq8x1@mq:5672/",
    "redis_url": "redis://:Pq9s2@cache:6379/0",
    "database_url": "postgresql+asyncpg://taskflow_tasks:Xy7w3@db/taskflow",
}


def test_one_switch_puts_every_service_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    """`TASKFLOW_ENVIRONMENT` (what the compose file sets) reaches every service's settings."""
    monkeypatch.setenv("TASKFLOW_ENVIRONMENT", "production")
    with pytest.raises(ValidationError, match="signing_secret"):
        TasksSettings()
    assert TasksSettings(**REAL).environment == "production"
    # A service's own variable still decides for that service.
    monkeypatch.setenv("TFCTEST_ENVIRONMENT", "development")
    assert TasksSettings().environment == "development"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("signing_secret", "dev-calendar-password"),
        ("signing_secret", "example-signing-key"),
        ("signing_secret", "please-change-me-now"),
        ("signing_secret", "correct-horse-battery-admin"),
        ("database_url", "postgresql+asyncpg://taskflow_tasks:dev-password@db/taskflow"),
        ("amqp_url", "amqp://tasks:changeme@mq:5672/"),
    ],
)
def test_production_refuses_development_secrets(field: str, value: str) -> None:
    """Values copied from `.env.example`, the demo seed or the docs never go live."""
    with pytest.raises(ValidationError) as info:
        TasksSettings(environment="production", **{**REAL, field: value})
    assert field in str(info.value)
    assert value not in str(info.value)
    assert TasksSettings(environment="development", **{**REAL, field: value})
