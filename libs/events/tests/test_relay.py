"""Outbox + relay on the real PostgreSQL and RabbitMQ."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select, update

from taskflow.events import (
    CONTENT_TYPE,
    Backoff,
    Outbox,
    OutboxRelay,
    TaskUpdated,
    decode,
)
from taskflow.events.examples import task_snapshot
from taskflow.events.ids import uuid7
from taskflow.testing import wait_until

SOURCE = "taskflow/test"


def make_event(aggregate: Any, version: int) -> TaskUpdated:
    return TaskUpdated(task=task_snapshot(task_id=aggregate, version=version), changes={})


async def write_events(
    db: Any,
    outbox: Outbox,
    aggregates: list[Any],
    total: int,
    writers: int = 8,
    rollback_every: int = 0,
) -> list[Any]:
    """Write ``total`` events in committed transactions of 1..10 events, ``writers`` at once.

    Each transaction locks its aggregate's row first (UPDATE ... RETURNING), as a real producer
    locks the task it changes: that is what makes id order equal commit order per aggregate.
    Returns the event ids of rolled-back transactions (they must never be published).
    """
    remaining = total
    rolled_back: list[Any] = []
    lock = asyncio.Lock()
    counter = 0

    async def writer(seed: int) -> None:
        nonlocal remaining, counter
        rng = random.Random(seed)
        while True:
            async with lock:
                if remaining <= 0:
                    return
                n = min(remaining, rng.randint(1, 10))
                remaining -= n
                counter += 1
                rollback = rollback_every and counter % rollback_every == 0
            aggregate = rng.choice(aggregates)
            async with db.sessionmaker() as session, session.begin():
                seq = (
                    await session.execute(
                        update(db.aggregates)
                        .where(db.aggregates.c.id == str(aggregate))
                        .values(seq=db.aggregates.c.seq + n)
                        .returning(db.aggregates.c.seq)
                    )
                ).scalar_one()
                events = [make_event(aggregate, seq - n + i + 1) for i in range(n)]
                envs = await outbox.add_many(session, events, actor_id=None)
                if rollback:
                    rolled_back.extend(e.id for e in envs)
                    await session.rollback()
                    async with lock:
                        remaining += n  # the committed total stays exact
            await asyncio.sleep(0)

    await asyncio.gather(*(writer(i) for i in range(writers)))
    return rolled_back


async def seed_aggregates(db: Any, count: int) -> list[Any]:
    ids = [uuid7() for _ in range(count)]
    async with db.engine.begin() as conn:
        await conn.execute(db.aggregates.insert(), [{"id": str(i)} for i in ids])
    return ids


def check_order(messages: list[Any], expect_total: int, allow_duplicates: bool) -> None:
    seen: dict[str, int] = {}
    per_aggregate: dict[str, list[int]] = defaultdict(list)
    duplicates = 0
    for m in messages:
        env = decode(m.body)
        assert m.message_id == str(env.id)
        if m.message_id in seen:
            duplicates += 1
            continue
        seen[m.message_id] = 1
        task = env.data["task"]
        per_aggregate[task["task_id"]].append(task["version"])
    assert len(seen) == expect_total
    if not allow_duplicates:
        assert duplicates == 0
    for aggregate, versions in per_aggregate.items():
        assert versions == list(range(1, len(versions) + 1)), f"out of order for {aggregate}"


async def unpublished(db: Any) -> int:
    async with db.engine.connect() as conn:
        rows = await conn.execute(select(db.outbox.c.id).where(db.outbox.c.published_at.is_(None)))
        return len(rows.all())


async def run_relays(relays: list[OutboxRelay]) -> tuple[asyncio.Event, list[asyncio.Task[None]]]:
    stop = asyncio.Event()
    return stop, [asyncio.create_task(r.run(stop)) for r in relays]


async def test_10k_events_once_each_in_order_with_two_relays(
    clean_db: Any, amqp_url: str, exchange_name: str, collector: Callable[..., Awaitable[Any]]
) -> None:
    db = clean_db
    got = await collector("task.#")
    outbox = Outbox(db.outbox, SOURCE)
    relays = [
        OutboxRelay(
            db.engine,
            db.outbox,
            amqp_url,
            exchange_name,
            batch_size=200,
            max_partitions=8,
            poll_interval=0.5,
            name=f"relay-{i}",
        )
        for i in range(2)
    ]
    stop, tasks = await run_relays(relays)
    aggregates = await seed_aggregates(db, 100)
    rolled_back = await write_events(db, outbox, aggregates, 10_000, rollback_every=25)
    assert rolled_back
    await wait_until(lambda: len(got.messages) >= 10_000, timeout=100, interval=0.1)
    assert await unpublished(db) == 0
    stop.set()
    await asyncio.gather(*tasks)
    await asyncio.sleep(0.2)  # anything extra (a duplicate) would arrive now
    check_order(got.messages, 10_000, allow_duplicates=False)
    ids = {m.message_id for m in got.messages}
    assert not ids & {str(i) for i in rolled_back}
    assert all(r.published_total > 0 for r in relays), "both relays should have taken work"
    first = got.messages[0]
    assert first.content_type == CONTENT_TYPE
    assert first.type == "task.updated"
    assert first.delivery_mode == 2


@pytest.mark.parametrize("fault", ["drop", "stall"])
async def test_broker_outage_loses_nothing(
    fault: str,
    clean_db: Any,
    amqp_url: str,
    exchange_name: str,
    collector: Callable[..., Awaitable[Any]],
    fault_proxy: Any,
) -> None:
    db = clean_db
    got = await collector("#")
    proxy = await fault_proxy("127.0.0.1", 5672)
    outbox = Outbox(db.outbox, SOURCE)
    relay = OutboxRelay(
        db.engine,
        db.outbox,
        proxy.url_for(amqp_url),
        exchange_name,
        batch_size=100,
        poll_interval=0.3,
        publish_timeout=1.0,
        connect_timeout=1.0,
        backoff=Backoff(base=0.05, cap=0.5),
    )
    stop, tasks = await run_relays([relay])
    aggregates = await seed_aggregates(db, 50)
    writing = asyncio.create_task(write_events(db, outbox, aggregates, 5_000, writers=4))
    await wait_until(lambda: len(got.messages) >= 500, timeout=40)
    await getattr(proxy, fault)()
    at_fault = len(got.messages)
    await asyncio.sleep(1.5)  # the outage: writers go on, the relay backs off
    assert len(got.messages) < 5_000
    assert not tasks[0].done()
    await proxy.restore()
    await writing
    await wait_until(lambda: len({m.message_id for m in got.messages}) >= 5_000, timeout=40)
    await wait_until(_zero(unpublished, db), timeout=20)
    assert not tasks[0].done(), "the relay must recover by itself"
    stop.set()
    await asyncio.gather(*tasks)
    assert len(got.messages) > at_fault
    check_order(got.messages, 5_000, allow_duplicates=True)
    async with db.engine.connect() as conn:
        failed = (
            await conn.execute(select(db.outbox.c.last_error).where(db.outbox.c.attempts > 0))
        ).all()
    assert failed, "the outage should have been recorded on the rows it held up"


def _zero(fn: Callable[[Any], Awaitable[int]], arg: Any) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return await fn(arg) == 0

    return check


async def test_unroutable_event_is_not_marked_sent(
    clean_db: Any, amqp_url: str, exchange_name: str, collector: Callable[..., Awaitable[Any]]
) -> None:
    db = clean_db
    outbox = Outbox(db.outbox, SOURCE)
    # No hold after the return (test_poison_overflow covers the back-off): retried at once.
    relay = OutboxRelay(db.engine, db.outbox, amqp_url, exchange_name, unroutable_base=0)
    try:
        async with db.sessionmaker() as session, session.begin():
            await outbox.add(session, make_event(uuid7(), 1), actor_id=None)
        assert await relay.publish_batch() == 0
        async with db.engine.connect() as conn:
            row = (await conn.execute(select(db.outbox))).one()
        assert row.published_at is None
        assert row.attempts == 1
        assert "unroutable" in row.last_error
        got = await collector("task.updated")  # now a queue is bound: the retry goes through
        assert await relay.publish_batch() == 1
        await wait_until(lambda: len(got.messages) == 1)
        assert await unpublished(db) == 0
    finally:
        await relay.close_broker()


async def test_rolled_back_transaction_publishes_nothing_and_notify_wakes_relay(
    clean_db: Any, amqp_url: str, exchange_name: str, collector: Callable[..., Awaitable[Any]]
) -> None:
    db = clean_db
    got = await collector("#")
    outbox = Outbox(db.outbox, SOURCE)
    # A poll interval far beyond the test's deadlines: only LISTEN/NOTIFY can wake the relay.
    relay = OutboxRelay(db.engine, db.outbox, amqp_url, exchange_name, poll_interval=3600)
    stop, tasks = await run_relays([relay])
    # Wait (no guessed sleep) until the listener is up and the loop has gone idle after its
    # catch-up round, so the row below can only be picked up because of its NOTIFY.
    await asyncio.wait_for(relay.listening.wait(), 30)
    await asyncio.wait_for(relay.idle.wait(), 30)
    async with db.sessionmaker() as session, session.begin():
        await outbox.add(session, make_event(uuid7(), 1), actor_id=None)
        await session.rollback()
    async with db.sessionmaker() as session, session.begin():
        env = await outbox.add(session, make_event(uuid7(), 1), actor_id=None)
    await wait_until(lambda: len(got.messages) >= 1, timeout=30)
    await wait_until(relay.idle.is_set, timeout=30)  # the round after it found nothing more
    stop.set()
    await asyncio.gather(*tasks)
    assert [m.message_id for m in got.messages] == [str(env.id)]
    assert orjson.loads(got.messages[0].body)["id"] == str(env.id)
    assert relay.published_total == 1
    async with db.engine.connect() as conn:
        assert len((await conn.execute(select(db.outbox))).all()) == 1


async def test_unreachable_broker_is_recorded_on_the_rows(
    clean_db: Any, amqp_url: str, exchange_name: str
) -> None:
    from taskflow.testing import free_port

    db = clean_db
    outbox = Outbox(db.outbox, SOURCE)
    dead = amqp_url.replace(":5672/", f":{free_port()}/")
    relay = OutboxRelay(db.engine, db.outbox, dead, exchange_name, connect_timeout=1)
    async with db.sessionmaker() as session, session.begin():
        await outbox.add(session, make_event(uuid7(), 1), actor_id=None)
    with pytest.raises(ConnectionError):
        await relay.publish_batch()
    async with db.engine.connect() as conn:
        row = (await conn.execute(select(db.outbox))).one()
    assert row.published_at is None
    assert row.attempts == 1
    assert row.last_error.startswith("connect:")
    assert "guest:guest" not in row.last_error


async def test_batch_takes_the_oldest_pending_rows_of_its_partitions_in_id_order(
    clean_db: Any, amqp_url: str, exchange_name: str, collector: Callable[..., Awaitable[Any]]
) -> None:
    """The per-partition head walk returns what ``ORDER BY id LIMIT n`` over them would."""
    db = clean_db
    got = await collector("#")
    outbox = Outbox(db.outbox, SOURCE)
    aggregates = [uuid7() for _ in range(40)]
    async with db.sessionmaker() as session, session.begin():
        await outbox.add_many(
            session,
            [make_event(aggregates[i % 40], i // 40 + 1) for i in range(400)],
            actor_id=None,
        )
    async with db.engine.begin() as conn:  # some already sent, so heads are not at the start
        await conn.execute(
            update(db.outbox).where(db.outbox.c.id % 7 == 0).values(published_at=func.now())
        )
        pending = [
            r.id
            for r in await conn.execute(
                select(db.outbox.c.id)
                .where(db.outbox.c.published_at.is_(None))
                .order_by(db.outbox.c.id)
            )
        ]
    relay = OutboxRelay(db.engine, db.outbox, amqp_url, exchange_name, batch_size=50)
    try:
        assert await relay.publish_batch() == 50
        async with db.engine.connect() as conn:
            marked = [
                r.id
                for r in await conn.execute(
                    select(db.outbox.c.id)
                    .where(db.outbox.c.id % 7 != 0, db.outbox.c.published_at.is_not(None))
                    .order_by(db.outbox.c.id)
                )
            ]
        assert marked == pending[:50]
        await wait_until(lambda: len(got.messages) == 50)
        assert [m.message_id for m in got.messages] == await _event_ids(db, marked)
        while await relay.publish_batch():
            pass
        assert await unpublished(db) == 0
        await wait_until(lambda: len(got.messages) == len(pending))
    finally:
        await relay.close_broker()


async def _event_ids(db: Any, row_ids: list[int]) -> list[str]:
    """Event ids of outbox rows, in row id order."""
    async with db.engine.connect() as conn:
        result = await conn.execute(
            select(db.outbox.c.event_id).where(db.outbox.c.id.in_(row_ids)).order_by(db.outbox.c.id)
        )
        return [str(e) for e in result.scalars()]


async def test_a_bulk_add_keeps_every_event_in_list_order(clean_db: Any) -> None:
    """One statement per 1,000 rows (parameter limit): 2,500 events, all there, ids in order."""
    db = clean_db
    outbox = Outbox(db.outbox, SOURCE)
    aggregate = uuid7()
    events = [make_event(aggregate, i + 1) for i in range(2500)]
    async with db.sessionmaker() as session, session.begin():
        envs = await outbox.add_many(session, events, actor_id=None)
    async with db.engine.connect() as conn:
        stored = [
            r.event_id
            for r in await conn.execute(select(db.outbox.c.event_id).order_by(db.outbox.c.id))
        ]
    assert stored == [e.id for e in envs]
