"""Appending and verifying on the real database, with tampering as the superuser."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from taskflow.audit.chain.store import verify

pytestmark = pytest.mark.usefixtures("clean")


async def _verify(engine: AsyncEngine, **kw: int) -> object:
    async with engine.connect() as conn:
        await conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        return await verify(conn, chunk=7, **kw)


async def test_append_numbers_and_links(
    h: Any, owner_engine: AsyncEngine, api_engine: AsyncEngine
) -> None:
    res = await h.seed(owner_engine, [h.item(i) for i in range(20)])
    assert (res.written, res.head_seq) == (20, 20)
    result = await _verify(api_engine)
    assert result.ok  # type: ignore[attr-defined]
    assert result.checked == 20  # type: ignore[attr-defined]
    assert result.head_hash == res.head_hash  # type: ignore[attr-defined]


async def test_duplicates_are_recorded_once(h: Any, owner_engine: AsyncEngine) -> None:
    one = h.item(1)
    res = await h.seed(owner_engine, [one, one, h.item(2)])
    assert (res.written, res.skipped) == (2, 1)
    res = await h.seed(owner_engine, [one])
    assert (res.written, res.skipped, res.head_seq) == (0, 1, 2)


async def test_concurrent_appenders_never_fork(
    h: Any, owner_engine: AsyncEngine, api_engine: AsyncEngine
) -> None:
    """Appenders racing on the head row produce one gap-free chain."""
    await asyncio.gather(*(h.seed(owner_engine, [h.item(i) for i in range(10)]) for _ in range(5)))
    result = await _verify(api_engine)
    assert result.ok  # type: ignore[attr-defined]
    assert result.checked == 50  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("sql", "seq", "reason"),
    [
        (
            'UPDATE audit.entries SET payload = \'{"n":1,"title":"forged"}\' WHERE seq = 12',
            12,
            "hash_mismatch",
        ),
        ("UPDATE audit.entries SET actor_id = gen_random_uuid() WHERE seq = 3", 3, "hash_mismatch"),
        ("DELETE FROM audit.entries WHERE seq = 17", 17, "missing_entry"),
        ("DELETE FROM audit.entries WHERE seq = 30", 30, "missing_entry"),
        ("UPDATE audit.entries SET prev_hash = hash WHERE seq = 9", 9, "hash_mismatch"),
    ],
)
async def test_tampering_is_found_with_first_broken_seq(
    h: Any,
    owner_engine: AsyncEngine,
    api_engine: AsyncEngine,
    admin_engine: AsyncEngine,
    sql: str,
    seq: int,
    reason: str,
) -> None:
    await h.seed(owner_engine, [h.item(i) for i in range(30)])
    await h.tamper(admin_engine, sql)
    result = await _verify(api_engine)
    assert (result.ok, result.first_broken_seq, result.reason) == (False, seq, reason)  # type: ignore[attr-defined]


async def test_window_verification(
    h: Any, owner_engine: AsyncEngine, api_engine: AsyncEngine, admin_engine: AsyncEngine
) -> None:
    await h.seed(owner_engine, [h.item(i) for i in range(30)])
    result = await _verify(api_engine, from_seq=10, to_seq=20)
    assert result.ok  # type: ignore[attr-defined]
    assert result.checked == 11  # type: ignore[attr-defined]
    await h.tamper(admin_engine, "DELETE FROM audit.entries WHERE seq = 21")
    result = await _verify(api_engine, from_seq=10, to_seq=20)
    assert (result.ok, result.first_broken_seq) == (False, 21)  # type: ignore[attr-defined]
    result = await _verify(api_engine, from_seq=1, to_seq=5)
    assert result.ok  # type: ignore[attr-defined]


async def test_unknown_event_id_lookup_is_harmless(h: Any, owner_engine: AsyncEngine) -> None:
    res = await h.seed(owner_engine, [h.item(0)])
    res2 = await h.seed(owner_engine, [h.item(1)])
    assert res2.head_seq == res.head_seq + 1
    assert uuid.UUID(int=0) != res2.head_hash
