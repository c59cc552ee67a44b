"""The worker's retention pass uses the policy set through the api."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from taskflow.audit.worker import run_retention_once

pytestmark = pytest.mark.usefixtures("clean")


async def test_policy_from_the_api_drives_the_purge(
    h: Any,
    settings: Any,
    owner_engine: AsyncEngine,
    api_engine: AsyncEngine,
    retention_engine: AsyncEngine,
) -> None:
    now = datetime.now(UTC)
    await h.seed(owner_engine, [h.item(i) for i in range(4)], now=now - timedelta(days=800))
    await h.seed(owner_engine, [h.item(i) for i in range(3)], now=now - timedelta(days=500))
    # The default (years) keeps everything.
    assert await run_retention_once(settings, retention_engine) == 0
    async with api_engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO audit.retention_policy (id, days, version, updated_at)"
                " VALUES (1, 600, 1, now())"
            )
        )
    assert await run_retention_once(settings, retention_engine) == 4
    async with api_engine.connect() as conn:
        purged = (await conn.execute(text("SELECT first_seq, last_seq FROM audit.purges"))).all()
    assert [tuple(r) for r in purged] == [(1, 4)]


async def test_a_policy_under_the_configured_floor_purges_only_to_the_floor(
    h: Any,
    settings: Any,
    owner_engine: AsyncEngine,
    admin_engine: AsyncEngine,
    retention_engine: AsyncEngine,
) -> None:
    """A stored policy of 100 days (legal for the database) is read as the floor of 365."""
    now = datetime.now(UTC)
    await h.seed(owner_engine, [h.item(i) for i in range(2)], now=now - timedelta(days=400))
    await h.seed(owner_engine, [h.item(i) for i in range(3)], now=now - timedelta(days=200))
    async with admin_engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO audit.retention_policy (id, days, version, updated_at)"
                " VALUES (1, 100, 1, now())"
            )
        )
    assert await run_retention_once(settings, retention_engine) == 2


async def test_inbox_is_trimmed_and_old_redelivery_still_refused(
    h: Any, settings: Any, owner_engine: AsyncEngine
) -> None:
    """Old inbox rows go; a late copy of a kept entry is still not recorded twice."""
    import uuid

    from taskflow.audit.chain.append import append
    from taskflow.audit.worker import run_inbox_trim_once

    old, recent = uuid.uuid4(), uuid.uuid4()
    async with owner_engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO audit.inbox (event_id, queue, handled_at) VALUES"
                " (:o, 'audit.events', now() - make_interval(days => :d + 1)),"
                " (:r, 'audit.events', now() - make_interval(days => :d - 1))"
            ),
            {"o": old, "r": recent, "d": settings.inbox_retention_days},
        )
    item = h.item(0)
    await h.seed(owner_engine, [item])
    assert await run_inbox_trim_once(settings, owner_engine) >= 1
    async with owner_engine.connect() as conn:
        left = set(
            (
                await conn.execute(
                    text("SELECT event_id FROM audit.inbox WHERE event_id IN (:o, :r)"),
                    {"o": old, "r": recent},
                )
            ).scalars()
        )
    assert left == {recent}
    async with owner_engine.begin() as conn:
        again = await append(conn, [item])
    assert again.written == 0


async def test_the_worker_loop_appends_a_policy_change_within_seconds(
    client: Any, admin: dict[str, str], settings: Any, owner_engine: AsyncEngine
) -> None:
    """The worker's own loop (not a test helper) moves a recorded change into the chain."""
    import asyncio

    from taskflow.audit.worker import admin_changes_loop
    from taskflow.testing import wait_until

    stop = asyncio.Event()
    fast = settings.model_copy(update={"admin_changes_interval_seconds": 0.05})
    loop = asyncio.create_task(admin_changes_loop(fast, owner_engine, stop))
    try:
        r = await client.put("/api/v1/audit/retention", json={"days": 1000}, headers=admin)
        assert r.status_code == 200, r.text

        async def recorded() -> bool:
            r = await client.get(
                "/api/v1/audit/events", params={"type": "audit.retention_changed"}, headers=admin
            )
            return [e["payload"]["after"]["days"] for e in r.json()["items"]] == [1000]

        await wait_until(recorded, timeout=10)
    finally:
        stop.set()
        await asyncio.wait_for(loop, timeout=10)
