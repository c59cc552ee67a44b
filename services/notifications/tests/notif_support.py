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


async def publish(
    amqp_url: str, exchange: str, body: bytes, routing_key: str, message_id: str
) -> None:
    """Publish one message to the events exchange as a producer's relay would."""
    import aio_pika

    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        ex = await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        await ex.publish(
            aio_pika.Message(
                body,
                message_id=message_id,
                content_type="application/cloudevents+json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=routing_key,
        )
    finally:
        await connection.close()
