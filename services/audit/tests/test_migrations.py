"""The database itself enforces append-only, whatever role the code runs as."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from taskflow.audit.chain.append import NewEntry, append

pytestmark = pytest.mark.usefixtures("clean")


def _item(i: int = 0) -> NewEntry:
    return NewEntry(
        event_id=uuid.uuid4(),
        type="task.created",
        actor_id=uuid.uuid4(),
        subject=f"task/{i}",
        project_id=None,
        occurred_at=datetime.now(UTC),
        payload=f'{{"n":{i}}}',
    )


async def _seed(owner_engine: AsyncEngine, n: int = 3) -> None:
    async with owner_engine.begin() as conn:
        await append(conn, [_item(i) for i in range(n)])


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit.entries SET type = 'x'",
        "DELETE FROM audit.entries",
        "TRUNCATE audit.entries",
        "UPDATE audit.chain_head SET last_seq = 0",
        "DELETE FROM audit.purges",
    ],
)
async def test_owner_cannot_rewrite(owner_engine: AsyncEngine, sql: str) -> None:
    """The owner (migrations) can append but never change or remove."""
    await _seed(owner_engine)
    with pytest.raises(DBAPIError):
        async with owner_engine.begin() as conn:
            await conn.execute(text(sql))


@pytest.mark.parametrize(
    "sql",
    [
        "DROP TRIGGER entries_append_only ON audit.entries",
        "ALTER TABLE audit.entries DISABLE TRIGGER entries_append_only",
        "ALTER TABLE audit.entries DISABLE TRIGGER ALL",
        "DROP FUNCTION audit.refuse_rewrite() CASCADE",
        "CREATE OR REPLACE FUNCTION audit.refuse_rewrite() RETURNS trigger"
        " LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$",
        "DROP TABLE audit.entries",
        "CREATE TABLE audit.probe (id int)",
        "UPDATE audit.entries SET type = 'x'",
        "DELETE FROM audit.entries",
        "TRUNCATE audit.entries",
        "UPDATE audit.chain_head SET last_seq = 0",
        "DELETE FROM audit.purges",
    ],
)
async def test_the_consumers_role_cannot_lift_append_only(
    settings: Any, test_database: Any, owner_engine: AsyncEngine, sql: str
) -> None:
    """The worker's configured role is not the owner: it cannot drop or disable the triggers,
    nor UPDATE/DELETE entries, whatever it tries."""
    await _seed(owner_engine)
    role = make_url(settings.worker_database_url.get_secret_value()).username
    async with owner_engine.connect() as conn:
        owner = await conn.scalar(
            text("SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'audit'")
        )
    assert role != owner
    writer = create_async_engine(test_database.url_for(role), pool_size=1)
    try:
        with pytest.raises(DBAPIError) as info:
            async with writer.begin() as conn:
                await conn.execute(text(sql))
        # insufficient_privilege: not the owner, no grant, or the trigger's refusal.
        assert getattr(info.value.orig, "sqlstate", None) == "42501", info.value
        # Granting itself what it lacks does nothing: only the owner can grant.
        async with writer.begin() as conn:
            await conn.execute(text("GRANT UPDATE, DELETE ON audit.entries TO CURRENT_USER"))
        with pytest.raises(DBAPIError):
            async with writer.begin() as conn:
                await conn.execute(text("DELETE FROM audit.entries"))
    finally:
        await writer.dispose()
    async with owner_engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM audit.entries")) == 3


async def test_the_consumers_role_can_append(settings: Any, test_database: Any) -> None:
    """What the consumer does (append, trim its inbox) works as its own role."""
    writer = create_async_engine(settings.worker_database_url.get_secret_value(), pool_size=1)
    try:
        async with writer.begin() as conn:
            appended = await append(conn, [_item(i) for i in range(2)])
            await conn.execute(
                text("INSERT INTO audit.inbox (event_id, queue) VALUES (gen_random_uuid(), 'q')")
            )
            await conn.execute(text("DELETE FROM audit.inbox WHERE queue = 'q'"))
        assert appended is not None
        async with writer.connect() as conn:
            assert await conn.scalar(text("SELECT count(*) FROM audit.entries")) == 2
    finally:
        await writer.dispose()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit.entries SET type = 'x'",
        "DELETE FROM audit.entries",
        "INSERT INTO audit.entries SELECT seq + 100, gen_random_uuid(), type, actor_id, subject,"
        " project_id, occurred_at, recorded_at, payload, prev_hash, hash FROM audit.entries",
        "UPDATE audit.chain_head SET last_seq = last_seq + 1",
        "INSERT INTO audit.purges (first_seq, last_seq, first_prev_hash, last_hash, count, cutoff)"
        " VALUES (1, 1, 'a', 'b', 1, now())",
    ],
)
async def test_api_role_cannot_write(
    owner_engine: AsyncEngine, api_engine: AsyncEngine, sql: str
) -> None:
    """The api's real role may read the log and nothing else."""
    await _seed(owner_engine)
    with pytest.raises(DBAPIError, match="permission denied"):
        async with api_engine.begin() as conn:
            await conn.execute(text(sql))
    async with api_engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM audit.entries"))).scalar() == 3


async def test_retention_role_may_delete_but_not_update(
    owner_engine: AsyncEngine, retention_engine: AsyncEngine
) -> None:
    async with owner_engine.begin() as conn:  # old enough for the retention floor
        await append(conn, [_item(i) for i in range(3)], now=datetime(2020, 1, 1, tzinfo=UTC))
    with pytest.raises(DBAPIError):
        async with retention_engine.begin() as conn:
            await conn.execute(text("UPDATE audit.entries SET type = 'x'"))
    async with retention_engine.begin() as conn:
        result = await conn.execute(text("DELETE FROM audit.entries WHERE seq = 1"))
        assert result.rowcount == 1


async def test_superuser_is_stopped_by_the_trigger(
    owner_engine: AsyncEngine, admin_engine: AsyncEngine
) -> None:
    """Even the superuser must disable the trigger first (which the tamper tests do)."""
    await _seed(owner_engine)
    with pytest.raises(DBAPIError, match="append-only"):
        async with admin_engine.begin() as conn:
            await conn.execute(text("UPDATE audit.entries SET type = 'x'"))
