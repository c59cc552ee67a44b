"""The retention purge: honours legal holds, leaves the chain verifiable, launders nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from taskflow.audit.chain.store import verify
from taskflow.audit.retention.purge import BelowRetentionFloor, TamperedEntries, purge

pytestmark = pytest.mark.usefixtures("clean")

NOW = datetime.now(UTC)
OLD = NOW - timedelta(days=400)


async def _verify(engine: AsyncEngine) -> Any:
    async with engine.connect() as conn:
        return await verify(conn, chunk=5)


async def _hold(api_engine: AsyncEngine, project: uuid.UUID) -> None:
    async with api_engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO audit.legal_holds (project_id, created_at) VALUES (:p, now())"),
            {"p": project},
        )


async def _seqs(engine: AsyncEngine) -> list[int]:
    async with engine.connect() as conn:
        return list(
            (await conn.execute(text("SELECT seq FROM audit.entries ORDER BY seq"))).scalars()
        )


async def test_purge_honours_holds_and_verification_passes(
    h: Any, owner_engine: AsyncEngine, api_engine: AsyncEngine, retention_engine: AsyncEngine
) -> None:
    held, free = uuid.uuid4(), uuid.uuid4()
    old = [
        h.item(i, project_id=held if i % 3 == 0 else free if i % 3 == 1 else None)
        for i in range(30)
    ]
    await h.seed(owner_engine, old, now=OLD)  # seq 1..30, recorded 400 days ago
    await h.seed(owner_engine, [h.item(i, project_id=free) for i in range(5)])  # 31..35, fresh
    await _hold(api_engine, held)

    result = await purge(retention_engine, days=365, now=NOW, chunk=7)
    assert result.deleted == 20
    remaining = await _seqs(api_engine)
    assert remaining == [*range(1, 31, 3), *range(31, 36)]
    check = await _verify(api_engine)
    assert check.ok, check
    assert check.checked == 15

    # A second purge finds nothing more; lifting the hold lets the next one take the rest.
    assert (await purge(retention_engine, days=365, now=NOW, chunk=7)).deleted == 0
    async with api_engine.begin() as conn:
        await conn.execute(text("DELETE FROM audit.legal_holds"))
    assert (await purge(retention_engine, days=365, now=NOW, chunk=4)).deleted == 10
    assert await _seqs(api_engine) == list(range(31, 36))
    check = await _verify(api_engine)
    assert check.ok, check
    assert check.checked == 5


async def test_everything_purged_still_verifies(
    h: Any, owner_engine: AsyncEngine, api_engine: AsyncEngine, retention_engine: AsyncEngine
) -> None:
    await h.seed(owner_engine, [h.item(i) for i in range(10)], now=OLD)
    assert (await purge(retention_engine, days=365, now=NOW, chunk=100)).deleted == 10
    check = await _verify(api_engine)
    assert check.ok, check
    assert check.checked == 0
    assert check.head_seq == 10


async def test_purge_refuses_to_launder_a_tampered_entry(
    h: Any,
    owner_engine: AsyncEngine,
    api_engine: AsyncEngine,
    retention_engine: AsyncEngine,
    admin_engine: AsyncEngine,
) -> None:
    await h.seed(owner_engine, [h.item(i) for i in range(10)], now=OLD)
    await h.tamper(admin_engine, "UPDATE audit.entries SET type = 'forged' WHERE seq = 4")
    with pytest.raises(TamperedEntries):
        await purge(retention_engine, days=365, now=NOW, chunk=100)
    assert len(await _seqs(api_engine)) == 10  # rolled back: nothing deleted
    check = await _verify(api_engine)
    assert check.first_broken_seq == 4


async def test_removal_disguised_as_purge_needs_the_right_hashes(
    h: Any, owner_engine: AsyncEngine, api_engine: AsyncEngine, admin_engine: AsyncEngine
) -> None:
    """A deleted row with a made-up purge record is still found."""
    await h.seed(owner_engine, [h.item(i) for i in range(10)])
    await h.tamper(admin_engine, "DELETE FROM audit.entries WHERE seq = 5")
    async with admin_engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO audit.purges (first_seq, last_seq, first_prev_hash, last_hash, count,"
                " cutoff) VALUES (5, 5, repeat('a', 64), repeat('b', 64), 1, now())"
            )
        )
    check = await _verify(api_engine)
    assert (check.ok, check.first_broken_seq) == (False, 5)


async def test_purge_refuses_a_period_below_the_floor(
    h: Any, owner_engine: AsyncEngine, api_engine: AsyncEngine, retention_engine: AsyncEngine
) -> None:
    """Asked for 1 or 30 days (or under the deployment's floor), the purge deletes nothing."""
    await h.seed(owner_engine, [h.item(i) for i in range(5)], now=NOW - timedelta(days=200))
    for days, floor in ((1, 90), (30, 90), (89, 10), (200, 365)):
        with pytest.raises(BelowRetentionFloor):
            await purge(retention_engine, days=days, now=NOW, chunk=100, floor_days=floor)
    assert len(await _seqs(api_engine)) == 5


@pytest.mark.parametrize("age_days", [1, 89])
async def test_database_refuses_to_delete_young_entries(
    h: Any, owner_engine: AsyncEngine, retention_engine: AsyncEngine, age_days: int
) -> None:
    """Even the retention role, with a hand-written DELETE, cannot take an entry under 90 days."""
    from sqlalchemy.exc import DBAPIError

    await h.seed(owner_engine, [h.item(0)], now=NOW - timedelta(days=age_days))
    with pytest.raises(DBAPIError, match="retention floor"):
        async with retention_engine.begin() as conn:
            await conn.execute(text("DELETE FROM audit.entries"))


async def test_database_refuses_to_delete_held_entries(
    h: Any, owner_engine: AsyncEngine, api_engine: AsyncEngine, retention_engine: AsyncEngine
) -> None:
    from sqlalchemy.exc import DBAPIError

    held = uuid.uuid4()
    await h.seed(owner_engine, [h.item(0, project_id=held)], now=OLD)
    await _hold(api_engine, held)
    with pytest.raises(DBAPIError, match="legal hold"):
        async with retention_engine.begin() as conn:
            await conn.execute(text("DELETE FROM audit.entries"))
    assert await _seqs(api_engine) == [1]
