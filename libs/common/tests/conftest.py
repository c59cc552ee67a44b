"""Fixtures of the taskflow.common tests: a scratch database, a Redis prefix, RSA keys, apps.

Self-contained on purpose (libs/testing builds on this lib, not the other way round).
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import redis as redis_sync
from fastapi import APIRouter, FastAPI

from taskflow.common.app import create_app
from taskflow.common.security import StaticKeySource
from taskflow.common.settings import ServiceSettings

# --import-mode=importlib: make the helpers module importable by the test modules.
sys.path.insert(0, str(Path(__file__).parent))
from common_testkit import Keys

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
SCHEMA = "svc"


@pytest.fixture(scope="session")
async def scratch_db() -> AsyncIterator[str]:
    """A database of our own for this session, dropped at the end."""
    name = f"tf_common_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    conn = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:5432/{name}")
    try:
        await conn.execute(f"CREATE SCHEMA {SCHEMA}")
    finally:
        await conn.close()
    yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def rprefix() -> Iterator[str]:
    """A Redis key prefix for this run; every key under it is deleted at the end."""
    prefix = f"tfc-test-{uuid.uuid4().hex[:10]}"
    yield prefix
    client = redis_sync.Redis.from_url("redis://127.0.0.1:6379/0")
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(scope="session")
def sync_redis() -> Iterator[redis_sync.Redis]:
    client = redis_sync.Redis.from_url("redis://127.0.0.1:6379/0")
    yield client
    client.close()


@pytest.fixture
async def aredis() -> AsyncIterator[Any]:
    """An async client per test (an asyncio client belongs to one event loop)."""
    from redis.asyncio import Redis

    client = Redis.from_url("redis://127.0.0.1:6379/0", socket_timeout=5)
    yield client
    await client.aclose()


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys()


@pytest.fixture(scope="session")
def settings(scratch_db: str, rprefix: str) -> ServiceSettings:
    return ServiceSettings(
        service_name="commontest",
        environment="test",
        database_url=scratch_db,
        db_schema=SCHEMA,
        redis_url="redis://127.0.0.1:6379/0",
        redis_prefix=rprefix,
        db_pool_size=2,
        db_max_overflow=2,
        readiness_timeout=1.0,
    )


AppFactory = Callable[..., FastAPI]


@pytest.fixture
async def make_app(settings: ServiceSettings, keys: Keys) -> AsyncIterator[AppFactory]:
    """Build apps on the test settings; their engines and clients are closed afterwards."""
    apps: list[FastAPI] = []

    def factory(*routers: APIRouter, **kw: Any) -> FastAPI:
        kw.setdefault("key_source", StaticKeySource(keys.jwks))
        s = kw.pop("settings", settings)
        app = create_app(s, routers=list(routers), **kw)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        await app.state.redis.aclose()
        await app.state.db.dispose()
