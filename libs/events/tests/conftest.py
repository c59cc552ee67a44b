"""Fixtures of the events tests: a schema of our own in the session's test database, and a
topic exchange of each test's own in the session's RabbitMQ vhost (libs/testing fixtures)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import aio_pika
import pytest
import pytest_asyncio
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, Uuid, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from taskflow.events import inbox_table, outbox_table
from taskflow.testing.postgres import FreshDatabase


@dataclass
class Db:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    schema: str
    outbox: Table
    inbox: Table
    effects: Table
    aggregates: Table


@pytest_asyncio.fixture(scope="session")
async def db(test_database: FreshDatabase) -> AsyncIterator[Db]:
    schema = f"events_{secrets.token_hex(4)}"
    engine = create_async_engine(test_database.admin_url, pool_size=12, max_overflow=4)
    metadata = MetaData(schema=schema)
    outbox = outbox_table(metadata)
    inbox = inbox_table(metadata)
    effects = Table(
        "effects",
        metadata,
        Column("n", Integer, primary_key=True, autoincrement=True),
        Column("event_id", Uuid, nullable=False, unique=True),
        Column("aggregate_id", Text, nullable=False),
        Column("event_type", String(100), nullable=False),
    )
    aggregates = Table(
        "aggregates",
        metadata,
        Column("id", Text, primary_key=True),
        Column("seq", Integer, nullable=False, server_default="0"),
    )
    async with engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        await conn.run_sync(metadata.create_all)
    yield Db(
        engine,
        async_sessionmaker(engine, expire_on_commit=False),
        schema,
        outbox,
        inbox,
        effects,
        aggregates,
    )
    async with engine.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    await engine.dispose()


@pytest_asyncio.fixture
async def clean_db(db: Db) -> Db:
    """The schema with every table emptied (tests of one session share it)."""
    names = ", ".join(
        f'"{db.schema}"."{t.name}"' for t in (db.outbox, db.inbox, db.effects, db.aggregates)
    )
    async with db.engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY"))
    return db


@pytest.fixture
def exchange_name() -> str:
    """A topic exchange of the test's own, so tests never receive each other's messages."""
    return f"tf.events.{secrets.token_hex(4)}"


@pytest_asyncio.fixture
async def amqp(amqp_url: str) -> AsyncIterator[AbstractRobustConnection]:
    connection = await aio_pika.connect_robust(amqp_url)
    yield connection
    await connection.close()


Collector = Callable[..., Awaitable["Collected"]]


@dataclass
class Collected:
    """Everything a plain test queue received, in arrival order."""

    queue: str
    messages: list[AbstractIncomingMessage]


@pytest_asyncio.fixture
async def collector(
    amqp: AbstractRobustConnection, exchange_name: str
) -> AsyncIterator[Callable[..., Awaitable[Collected]]]:
    """``await collector("#")``: a fresh auto-delete queue bound to keys, collecting bodies."""
    channels = []

    async def make(*keys: str) -> Collected:
        channel = await amqp.channel()
        await channel.set_qos(prefetch_count=1000)
        channels.append(channel)
        exchange = await channel.declare_exchange(
            exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue(
            f"collect.{secrets.token_hex(4)}", exclusive=True, auto_delete=True
        )
        for key in keys or ("#",):
            await queue.bind(exchange, key)
        got = Collected(queue.name, [])

        async def on_message(message: AbstractIncomingMessage) -> None:
            got.messages.append(message)
            await message.ack()

        await queue.consume(on_message)
        return got

    yield make
    for channel in channels:
        await channel.close()
