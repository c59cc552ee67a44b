"""Fixtures: the auth API on the session's test database, Redis prefix and (for the worker)
RabbitMQ vhost, with cheap argon2 parameters so the suite stays fast."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from taskflow.auth.config import Settings
from taskflow.auth.main import build_app

sys.path.insert(0, str(Path(__file__).parent))

from auth_testkit import Api, bearer


@pytest.fixture(scope="session")
def auth_url(migrate_service: Callable[[str], str]) -> str:
    """The auth role's URL on the migrated test database."""
    return migrate_service("auth")


@pytest.fixture(scope="session")
async def auth_engine(auth_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_async_engine(auth_url, pool_size=2)
    yield eng
    await eng.dispose()


@pytest.fixture(scope="session")
def make_settings(auth_url: str, redis_url: str, redis_prefix: str) -> Callable[..., Settings]:
    """Settings on the test servers; keyword arguments override fields."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": SecretStr(auth_url),
            "redis_url": SecretStr(redis_url),
            "redis_prefix": redis_prefix,
            "environment": "test",
            "argon2_time_cost": 1,
            "argon2_memory_cost_kib": 1024,
            "argon2_parallelism": 1,
            "throttle_ip_free": 10_000,
            # Long enough that a slow CI machine cannot outwait a lock mid-test.
            "throttle_base_delay_seconds": 30,
            "public_base_url": "https://taskflow.example",
            "cors_origins": ["https://taskflow.example"],
            "log_json": True,
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture(scope="session")
async def app(make_settings: Callable[..., Settings]) -> AsyncIterator[Any]:
    application = build_app(make_settings())
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def clean(auth_engine: AsyncEngine, truncate_schema: Any) -> None:
    """Empty the auth tables before a test (signing keys stay: they are cached in-process)."""
    await truncate_schema(auth_engine, "auth", keep=("alembic_version", "signing_keys"))


@pytest.fixture
async def client(app: Any, clean: None) -> AsyncIterator[httpx.AsyncClient]:
    # https so that the Secure refresh cookie is kept and sent back by the client.
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://test"
    ) as c:
        yield c


@pytest.fixture
def api(client: httpx.AsyncClient, auth_engine: AsyncEngine) -> Api:
    return Api(client, auth_engine)


@pytest.fixture
def auth_headers() -> Callable[[dict[str, Any]], dict[str, str]]:
    return bearer
