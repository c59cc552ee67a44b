"""The worker end to end on the real broker: events published (shuffled, some twice) to the
exchange reach the read models once each and give the hand-computed figures."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import aio_pika
import pytest
from pydantic import SecretStr
from reporting_testkit import P, build
from sqlalchemy import text

from taskflow.reporting.config import Settings
from taskflow.reporting.worker import build_consumer
from taskflow.testing import wait_until

pytestmark = pytest.mark.asyncio


async def test_events_through_the_broker_give_the_figures(
    sessionmaker: Any, amqp_url: str, reporting_url: str
) -> None:
    settings = Settings(
        database_url=SecretStr(reporting_url), amqp_url=SecretStr(amqp_url), queue="reporting.t1"
    )
    consumer = build_consumer(settings, sessionmaker)
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        await asyncio.wait_for(consumer.ready.wait(), 10)
        envelopes = build().envelopes
        dupes = envelopes + random.Random(3).sample(envelopes, 10)
        random.Random(4).shuffle(dupes)
        connection = await aio_pika.connect(amqp_url)
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            exchange = await channel.get_exchange(settings.events_exchange)
            for env in dupes:
                await exchange.publish(
                    aio_pika.Message(
                        env.to_bytes(),
                        message_id=str(env.id),
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                        content_type="application/cloudevents+json",
                    ),
                    routing_key=env.type,
                )
        await wait_until(lambda: consumer.handled + consumer.duplicates == len(dupes), timeout=30)
        assert (consumer.handled, consumer.duplicates, consumer.parked) == (len(envelopes), 10, 0)
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
    async with sessionmaker() as s:
        statuses = dict(
            (
                await s.execute(
                    text(
                        "SELECT status, count(*) FROM task_facts "
                        "WHERE project_id = :p AND NOT deleted GROUP BY status"
                    ),
                    {"p": P},
                )
            ).all()
        )
        logged = (await s.execute(text("SELECT count(*) FROM event_log"))).scalar_one()
    assert statuses == {"done": 4, "in_progress": 1, "todo": 1, "cancelled": 1}
    assert logged == len(envelopes)
