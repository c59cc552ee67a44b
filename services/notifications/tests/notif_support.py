"""Small helpers for the notifications tests."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from taskflow.notifications.deliveries.models import Delivery
from taskflow.notifications.preferences.models import Preferences


async def deliveries(sessionmaker: Any, channel: str | None = None) -> list[Delivery]:
    async with sessionmaker() as s:
        stmt = select(Delivery).order_by(Delivery.created_at, Delivery.id)
        if channel:
            stmt = stmt.where(Delivery.channel == channel)
        return list(await s.scalars(stmt))


async def set_prefs(sessionmaker: Any, user_id: uuid.UUID, **values: Any) -> None:
    async with sessionmaker() as s, s.begin():
        await s.merge(Preferences(user_id=user_id, **values))


async def drain_sender(worker: Any, rounds: int = 5) -> None:
    """Run sender passes until one handles nothing."""
    for _ in range(rounds):
        if not await worker.sender.run_once():
            return
