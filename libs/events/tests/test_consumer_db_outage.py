"""A consumer whose database goes away (refused, dropped, stalled through the fault proxy) for
longer than ``max_attempts`` worth of retries parks nothing and loses nothing (issue 16, fault 1).

The outage is not the message's fault, so it must neither use up an attempt (a retry copy with
``x-attempts`` + 1, then the parking queue) nor go back to the broker over and over: a quorum
queue counts every requeue toward its ``x-delivery-limit`` and dead-letters the message past it.
The test makes both limits tiny (2) and the database backoff short, so that a 3 s outage is
worth many times either limit; every event must still be applied exactly once afterwards.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import aio_pika
import pytest
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from taskflow.events import Consumer, Envelope, Event, QueueSpec, TaskCreated, list_parked
from taskflow.events.examples import example
from taskflow.events.relay import Backoff
from taskflow.testing import TcpProxy, wait_until
from taskflow.testing.postgres import FreshDatabase

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]

OUTAGE = 3.0  # seconds: ~20 tries refused or reset, ~5 stalled; each limit is 2
EVENTS = 12


@pytest_asyncio.fixture
async def pg_proxy(
    fault_proxy: Any, test_database: FreshDatabase
) -> AsyncIterator[tuple[TcpProxy, str]]:
    url = test_database.admin_url
    parts = urlsplit(url)
    proxy = await fault_proxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    yield proxy, proxy.url_for(url)


async def _run(
    mode: str,
    clean_db: Any,
    pg_proxy: tuple[TcpProxy, str],
    amqp_url: str,
    exchange_name: str,
    batch_size: int = 1,
) -> None:
    db = clean_db
    proxy, url = pg_proxy
    # The service's engine settings in small: connect and client-side command timeouts bound
    # what a stalled server costs each try.
    engine = create_async_engine(
        url,
        pool_size=2,
        pool_pre_ping=True,
        connect_args={"timeout": 0.5, "command_timeout": 0.5},
    )
    spec = QueueSpec(
        name=f"test.dbout.{secrets.token_hex(4)}",
        bindings=("task.created",),
        max_attempts=2,
        retry_delays_ms=(100,),
        prefetch=4,
        batch_size=batch_size,
        extra_arguments={"x-delivery-limit": 2},
    )
    calls: list[str] = []

    async def handle(session: AsyncSession, envelope: Envelope, event: Event) -> None:
        calls.append(str(envelope.id))
        await session.execute(
            db.effects.insert().values(
                event_id=envelope.id, aggregate_id=event.aggregate_id(), event_type=envelope.type
            )
        )

    consumer = Consumer(
        amqp_url,
        exchange_name,
        spec,
        async_sessionmaker(engine, expire_on_commit=False),
        db.inbox,
        {"task.created": handle},
    )
    consumer.db_backoff = Backoff(base=0.05, cap=0.15)
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel(publisher_confirms=True)
    try:
        await asyncio.wait_for(consumer.ready.wait(), 30)
        exchange = await channel.get_exchange(exchange_name)

        async def publish() -> Envelope:
            env = Envelope.wrap(example(TaskCreated), source="taskflow/test", actor_id=None)
            message = aio_pika.Message(env.to_bytes(), message_id=str(env.id), delivery_mode=2)
            await exchange.publish(message, routing_key=env.type)
            return env

        sent = [await publish()]  # warm: the pool holds a live connection through the proxy
        await wait_until(lambda: consumer.handled == 1, timeout=20)

        if mode == "refuse":
            await engine.dispose()  # no live connection: every try is a refused connect
            await proxy.drop()
        elif mode == "drop":
            await proxy.drop()  # the pooled connection is reset, new ones refused
        else:
            await proxy.stall()  # connections hang: only the client's timeouts end a try
        sent += [await publish() for _ in range(EVENTS)]
        await asyncio.sleep(OUTAGE)
        assert consumer.handled == 1  # nothing got through while the database was away
        tries_during_outage = consumer.db_backoff.attempt
        await proxy.restore()

        await wait_until(lambda: consumer.handled == 1 + EVENTS, timeout=30)
        async with db.engine.connect() as conn:
            applied = list((await conn.execute(select(db.effects.c.event_id))).scalars())
        assert sorted(map(str, applied)) == sorted(str(e.id) for e in sent)  # once each
        assert consumer.parked == 0
        assert consumer.retried == 0  # no attempt was used up by the outage
        assert await list_parked(amqp_url, spec.name) == []
        # The outage outlasted both limits (2) twice over, so the test can fail.
        assert tries_during_outage >= 2 * max(spec.max_attempts, 2), tries_during_outage
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        for name in [spec.name, spec.dlq, *(n for n, _ in spec.retry_queues)]:
            await channel.queue_delete(name)
        await connection.close()
        await engine.dispose()


@pytest.mark.parametrize("mode", ["refuse", "drop", "stall"])
async def test_database_outage_parks_nothing_and_loses_nothing(
    mode: str, clean_db: Any, pg_proxy: tuple[TcpProxy, str], amqp_url: str, exchange_name: str
) -> None:
    await _run(mode, clean_db, pg_proxy, amqp_url, exchange_name)


async def test_database_outage_in_batch_mode_parks_nothing_and_loses_nothing(
    clean_db: Any, pg_proxy: tuple[TcpProxy, str], amqp_url: str, exchange_name: str
) -> None:
    await _run("drop", clean_db, pg_proxy, amqp_url, exchange_name, batch_size=4)
