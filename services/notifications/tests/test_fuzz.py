"""Schemathesis over the notifications API (see taskflow.testing.fuzz and docs/fuzzing.md).

Each operation starts from empty tables with a caller (an admin too, for deliveries and parked
events) who has notifications, deliveries and a calendar feed, so that generated cases reach
past the 404s to the real work. The WebSocket is not in the OpenAPI document (test_live.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from notifications_testkit import created, snapshot, uid, user
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from taskflow.notifications import post_commit
from taskflow.notifications.config import Settings
from taskflow.notifications.main import build_app
from taskflow.testing.fuzz import Fuzzer, operations
from taskflow.testing.scopes import ALL_ROLES

OPENAPI = Path(__file__).parents[1] / "openapi.json"


@pytest.fixture(scope="module")
def fuzzer(settings: Settings, key_source: Any) -> Iterator[Fuzzer]:
    """An app of the fuzz run's own (served on schemathesis's loop)."""
    fuzzer = Fuzzer(build_app(settings, key_source=key_source))
    try:
        yield fuzzer
    finally:
        fuzzer.close()


@pytest.mark.parametrize("operation", operations(OPENAPI))
async def test_fuzz(
    operation: str,
    fuzzer: Fuzzer,
    apply: Any,
    engine: AsyncEngine,
    mint_token: Callable[..., str],
) -> None:
    me, actor, project = uid(), uid(), uid()
    await apply(user(me))
    for _ in range(3):
        await apply(created(snapshot(uid(), project, creator=actor, assignees=[me])), actor=actor)
    async with engine.connect() as conn:
        notifications = [
            str(r[0])
            for r in await conn.execute(text("SELECT id FROM notifications.notifications"))
        ]
        deliveries = [
            str(r[0]) for r in await conn.execute(text("SELECT id FROM notifications.deliveries"))
        ]
    fuzzer.token = mint_token(me, roles=ALL_ROLES)
    try:
        feed = fuzzer.ok("POST", "/api/v1/calendar/feed")["url"]
        secret = feed.rsplit("/", 1)[1].removesuffix(".ics")
        fuzzer.run(
            operation,
            path_values={
                "notification_id": notifications,
                "delivery_id": deliveries,
                "secret": [secret],
            },
        )
    finally:
        # What the app started after its commits runs on its own loop: wait for it there
        # (the autouse clean-up drains on pytest's loop, which cannot await those tasks).
        fuzzer.on_app_loop(post_commit.drain)
