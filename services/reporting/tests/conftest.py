"""Fixtures: the reporting schema migrated on the session's test database, clean per test."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

# The hand-computed scenario is a plain module next to this file; a unique name keeps it from
# colliding with other services' test helpers under --import-mode=importlib.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def reporting_url(migrate_service: Callable[[str], str]) -> str:
    """The service role's URL on the migrated test database."""
    return migrate_service("reporting")


@pytest.fixture(scope="session")
async def engine(reporting_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_async_engine(reporting_url, pool_size=4)
    yield eng
    await eng.dispose()


@pytest.fixture
async def clean(engine: AsyncEngine, truncate_schema: Any) -> AsyncEngine:
    """Empty every reporting table before the test."""
    await truncate_schema(engine, "reporting")
    return engine


@pytest.fixture
def sessionmaker(clean: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(clean, expire_on_commit=False)


@pytest.fixture
async def app(
    clean: AsyncEngine,
    reporting_url: str,
    key_source: Any,
    redis_url: str,
    redis_prefix: str,
    amqp_url: str,
) -> AsyncIterator[Any]:
    """The reporting API on the test database (tables emptied before the test)."""
    from pydantic import SecretStr

    from taskflow.reporting.config import Settings
    from taskflow.reporting.main import build_app

    settings = Settings(
        database_url=SecretStr(reporting_url),
        amqp_url=SecretStr(amqp_url),
        redis_url=SecretStr(redis_url),
        redis_prefix=redis_prefix,
        environment="test",
        log_json=False,
        log_level="WARNING",
    )
    application = build_app(settings, key_source=key_source)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: Any) -> AsyncIterator[Any]:
    import httpx

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as c:
        yield c


@pytest.fixture
def auth(mint_token: Callable[..., str]) -> Callable[[Any], dict[str, str]]:
    """`auth(user_id)` -> the Authorization header of an access token for that user."""

    def headers(user_id: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint_token(user_id)}"}

    return headers
