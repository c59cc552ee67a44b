"""Fixtures: the audit schema migrated on the session's test database, one engine per role.

The log refuses TRUNCATE, so per-test cleanup runs as the superuser with
`session_replication_role = replica` (which skips ordinary triggers); nothing in the service
can do that, which is the point.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from taskflow.audit.chain.append import Appended, NewEntry, append
from taskflow.audit.chain.hashing import GENESIS_HASH, canonical_json

TABLES = ("entries", "purges", "retention_policy", "legal_holds")


@pytest.fixture(scope="session")
def owner_url(migrate_service: Callable[[str], str]) -> str:
    """The owner's (worker's) URL on the migrated test database."""
    return migrate_service("audit")


@pytest.fixture(scope="session")
def api_url(owner_url: str, test_database: Any) -> str:
    return str(test_database.url_for("taskflow_audit_api"))


@pytest.fixture(scope="session")
def writer_url(owner_url: str, test_database: Any) -> str:
    """The consumer's role: appends, never owns."""
    return str(test_database.url_for("taskflow_audit_writer"))


@pytest.fixture(scope="session")
def retention_url(owner_url: str, test_database: Any) -> str:
    return str(test_database.url_for("taskflow_audit_retention"))


@pytest.fixture(scope="session")
def admin_url(owner_url: str, test_database: Any) -> str:
    return str(test_database.admin_url)


async def _engine(url: str) -> AsyncEngine:
    return create_async_engine(url, pool_size=3, max_overflow=2)


@pytest.fixture(scope="session")
async def owner_engine(owner_url: str) -> AsyncIterator[AsyncEngine]:
    eng = await _engine(owner_url)
    yield eng
    await eng.dispose()


@pytest.fixture(scope="session")
async def api_engine(api_url: str) -> AsyncIterator[AsyncEngine]:
    eng = await _engine(api_url)
    yield eng
    await eng.dispose()


@pytest.fixture(scope="session")
async def retention_engine(retention_url: str) -> AsyncIterator[AsyncEngine]:
    eng = await _engine(retention_url)
    yield eng
    await eng.dispose()


@pytest.fixture(scope="session")
async def admin_engine(admin_url: str) -> AsyncIterator[AsyncEngine]:
    eng = await _engine(admin_url)
    yield eng
    await eng.dispose()


async def wipe(admin_engine: AsyncEngine) -> None:
    """Empty the log and reset the head (superuser, triggers skipped)."""
    async with admin_engine.begin() as conn:
        await conn.execute(text("SET LOCAL session_replication_role = replica"))
        rows = await conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'audit'")
        )
        names = [r[0] for r in rows if r[0] not in ("alembic_version", "chain_head")]
        if names:
            await conn.execute(
                text("TRUNCATE " + ", ".join(f'audit."{n}"' for n in names) + " RESTART IDENTITY")
            )
        await conn.execute(
            text("UPDATE audit.chain_head SET last_seq = 0, last_hash = :h"), {"h": GENESIS_HASH}
        )


@pytest.fixture
async def clean(admin_engine: AsyncEngine) -> AsyncEngine:
    """A log with no entries before the test."""
    await wipe(admin_engine)
    return admin_engine


def item(
    i: int = 0,
    *,
    type: str = "task.created",
    project_id: uuid.UUID | None = None,
    actor_id: uuid.UUID | None = None,
    occurred_at: datetime | None = None,
    trace_id: str | None = None,
) -> NewEntry:
    return NewEntry(
        event_id=uuid.uuid4(),
        type=type,
        actor_id=actor_id or uuid.uuid4(),
        subject=f"task/{i}",
        project_id=project_id,
        occurred_at=occurred_at or datetime.now(UTC),
        payload=canonical_json({"n": i, "title": f"Task {i}"}),
        trace_id=trace_id,
    )


async def seed(
    owner_engine: AsyncEngine, items: Sequence[NewEntry], *, now: datetime | None = None
) -> Appended:
    async with owner_engine.begin() as conn:
        return await append(conn, items, now=now)


async def tamper(admin_engine: AsyncEngine, sql: str) -> None:
    """Run `sql` as the superuser with the append-only trigger disabled (an insider attack)."""
    async with admin_engine.begin() as conn:
        await conn.execute(text("ALTER TABLE audit.entries DISABLE TRIGGER USER"))
        await conn.exec_driver_sql(sql)
        await conn.execute(text("ALTER TABLE audit.entries ENABLE TRIGGER USER"))


@pytest.fixture(scope="session")
def h() -> SimpleNamespace:
    """The helpers above, for test modules (importlib mode cannot import conftest)."""
    return SimpleNamespace(item=item, seed=seed, tamper=tamper, wipe=wipe)


@pytest.fixture(scope="session")
def settings(
    api_url: str,
    owner_url: str,
    writer_url: str,
    retention_url: str,
    amqp_url: str,
    redis_url: str,
    redis_prefix: str,
) -> Any:
    """Settings of the service on this session's database, vhost and Redis prefix."""
    from taskflow.audit.config import Settings

    return Settings(
        database_url=api_url,
        worker_database_url=writer_url,
        migration_database_url=owner_url,
        retention_database_url=retention_url,
        amqp_url=amqp_url,
        redis_url=redis_url,
        redis_prefix=redis_prefix,
        environment="test",
        log_json=False,
        log_level="WARNING",
        stream_chunk=100,
        batch_wait_seconds=0.01,
    )


@pytest.fixture(scope="session")
async def app(settings: Any, key_source: Any) -> AsyncIterator[Any]:
    from taskflow.audit.main import build_app

    application = build_app(settings, key_source=key_source)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: Any, clean: AsyncEngine) -> AsyncIterator[Any]:
    import httpx

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


@pytest.fixture(scope="session")
def auditor(mint_token: Callable[..., str]) -> dict[str, str]:
    """Headers of a caller with the system role `auditor`."""
    return {"Authorization": f"Bearer {mint_token(uuid.uuid4(), roles=('auditor',))}"}


@pytest.fixture(scope="session")
def admin(mint_token: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(uuid.uuid4(), roles=('admin',))}"}


@pytest.fixture(scope="session")
def plain_user(mint_token: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(uuid.uuid4(), roles=('user',))}"}
