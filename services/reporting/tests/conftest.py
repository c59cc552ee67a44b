"""Fixtures: the reporting schema migrated on the session's test database, clean per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


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
