"""Audit: catch-up rate from a 1,000,000-event backlog, and verification speed, beside floors.

A fresh database (its own, dropped at the end) and a RabbitMQ vhost of its own (deleted at the
end). Phases, all in one run so that every figure sits next to its floor on the same machine:

1. backlog: N CloudEvents envelopes (every contract type, 10% duplicates excluded) are published
   to `taskflow.events` while no consumer runs, so `audit.events` holds N messages;
2. floors: a raw broker consume loop (aio-pika, manual ack, no processing) over a sample queue,
   the raw INSERT floor (the same batched `unnest` insert into a scratch table with the same
   indexes, no hashing, no inbox, no lock), and a raw hashlib loop (SHA-256 of entry-sized
   documents);
3. catch-up: the real `BatchConsumer` (decode, validate, redact, canonicalise, inbox, chain
   append under the head lock, ack) drains the backlog; events/s from first to last commit;
4. one-by-one: the framework's `Consumer` with the same handler on a small sample (the path
   without batching), to show what batching buys;
5. verification: `verify()` over the whole chain as the api role (REPEATABLE READ snapshot),
   entries/s, beside a raw streaming SELECT of the same rows and the raw hashlib loop.

Run: `uv run python bench/audit_catchup.py [--events 1000000]` (about 6 minutes on 2 cores at
one million). See docs/performance.md, "Audit".
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import aio_pika
import asyncpg
import orjson
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from taskflow.audit.chain.handlers import make_handler
from taskflow.audit.chain.store import verify
from taskflow.audit.config import Settings
from taskflow.audit.consumer import BatchConsumer
from taskflow.audit.db import inbox
from taskflow.audit.worker import queue_spec
from taskflow.events import Consumer, Envelope
from taskflow.events.examples import examples
from taskflow.events.topology import QueueSpec, declare_exchange, declare_queue
from taskflow.testing import rabbitmq
from taskflow.testing.postgres import FreshDatabase

EXCHANGE = "taskflow.events"


def templates() -> list[dict[str, Any]]:
    """One envelope per contract, as dicts to stamp ids and times into."""
    return [
        Envelope.wrap(e, source="taskflow/bench", actor_id=uuid.uuid4()).to_dict()
        for e in examples()
    ]


def bodies(n: int) -> list[bytes]:
    base = templates()
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    out = []
    for i in range(n):
        env = dict(base[i % len(base)])
        env["id"] = str(uuid.uuid4())
        env["time"] = now
        out.append(orjson.dumps(env))
    return out


async def _publish_part(url: str, msgs: list[bytes], routing_key: str, direct: bool) -> None:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=False)
        ex = channel.default_exchange if direct else await channel.get_exchange(EXCHANGE)
        for body in msgs:
            await ex.publish(
                aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                routing_key=routing_key,
            )


async def publish(
    url: str,
    msgs: list[bytes],
    routing_key: str = "task.created",
    parallel: int = 4,
    *,
    direct: bool = False,
) -> float:
    """Publish on `parallel` connections without confirms (the caller waits for the queue
    depth instead); seconds taken. Order across connections does not matter to the log.
    `direct` sends to the queue named `routing_key` (default exchange), bypassing the topic
    exchange, whose `#` binding would copy the message into `audit.events` too."""
    started = time.perf_counter()
    size = -(-len(msgs) // parallel)
    await asyncio.gather(
        *(
            _publish_part(url, msgs[i : i + size], routing_key, direct)
            for i in range(0, len(msgs), size)
        )
    )
    return time.perf_counter() - started


async def queue_depth(url: str, name: str) -> int:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        q = await channel.declare_queue(name, passive=True)
        return int(q.declaration_result.message_count or 0)


async def wait_depth(url: str, name: str, n: int) -> None:
    while await queue_depth(url, name) < n:  # noqa: ASYNC110 - polls the broker
        await asyncio.sleep(0.5)


async def raw_consume(url: str, name: str, n: int, *, every: int = 1) -> float:
    """The broker floor: consume and ack n messages (one ack per `every`); messages/s."""
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=Settings().prefetch)
        q = await channel.get_queue(name)
        done = asyncio.Event()
        got = 0
        started = time.perf_counter()

        async def on(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            nonlocal got
            if got >= n:
                return  # past the sample: left unacked, returned to the queue on close
            got += 1
            if got % every == 0 or got >= n:
                await message.ack(multiple=every > 1)
            if got >= n:
                done.set()

        await q.consume(on)
        await done.wait()
        return n / (time.perf_counter() - started)


async def raw_insert(dsn: str, n: int, batch: int = 500) -> float:
    """The database floor: the same unnest insert into a scratch copy of entries; rows/s."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "CREATE TABLE audit.bench_floor (LIKE audit.entries INCLUDING DEFAULTS INCLUDING "
            "INDEXES INCLUDING CONSTRAINTS)"
        )
        payload = orjson.dumps(templates()[0]["data"]).decode()
        now = datetime.now(UTC)
        seq = 0
        started = time.perf_counter()
        while seq < n:
            k = min(batch, n - seq)
            ids = [uuid.uuid4() for _ in range(k)]
            seqs = list(range(seq + 1, seq + k + 1))
            h = ["a" * 64] * k
            async with conn.transaction():
                await conn.fetchrow("SELECT 1")
                await conn.execute(
                    "INSERT INTO audit.bench_floor SELECT s, e, 'task.created', NULL, 'task/x', "
                    "NULL, $3, $3, $4::json, ph, hh FROM unnest($1::bigint[], $2::uuid[], "
                    "$5::text[], $6::text[]) AS u(s, e, ph, hh)",
                    seqs,
                    ids,
                    now,
                    payload,
                    h,
                    h,
                )
            seq += k
        return n / (time.perf_counter() - started)
    finally:
        await conn.execute("DROP TABLE IF EXISTS audit.bench_floor")
        await conn.close()


def raw_hash(n: int, size: int) -> float:
    """The hashing floor: SHA-256 of n documents of `size` bytes; hashes/s."""
    docs = [(b"%d" % i).ljust(size, b"x") for i in range(min(n, 100_000))]
    started = time.perf_counter()
    for i in range(n):
        hashlib.sha256(docs[i % len(docs)]).hexdigest()
    return n / (time.perf_counter() - started)


async def raw_select(dsn: str, n: int, chunk: int = 5000) -> float:
    """The read floor: stream every entry in keyset chunks, no processing; rows/s."""
    conn = await asyncpg.connect(dsn)
    try:
        stmt = await conn.prepare(
            "SELECT seq, event_id, type, actor_id, subject, project_id, occurred_at, "
            "recorded_at, payload::text, prev_hash, hash FROM audit.entries "
            "WHERE seq > $1 ORDER BY seq LIMIT $2"
        )
        after, got = 0, 0
        started = time.perf_counter()
        while True:
            rows = await stmt.fetch(after, chunk)
            if not rows:
                break
            got += len(rows)
            after = rows[-1][0]
        return got / (time.perf_counter() - started)
    finally:
        await conn.close()


async def count(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT last_seq FROM audit.chain_head"))
    finally:
        await conn.close()


async def main(n: int, one_by_one: int, floor_n: int) -> None:
    db = FreshDatabase.create()
    vhost = rabbitmq.create_vhost()
    try:
        owner_url = await db.amigrate("audit")
        owner_dsn = db.dsn_for("taskflow_audit")
        api_url = db.url_for("taskflow_audit_api")
        settings = Settings()
        spec = queue_spec(settings)
        floor_spec = QueueSpec(name="bench.floor", bindings=("floor.#",))
        slow_spec = QueueSpec(name="bench.one_by_one", bindings=("slow.#",), prefetch=32)
        connection = await aio_pika.connect(vhost.url)
        async with connection:
            channel = await connection.channel()
            ex = await declare_exchange(channel, EXCHANGE)
            for s in (spec, floor_spec, slow_spec):
                await declare_queue(channel, ex, s)

        print(f"building {n:,} envelopes ...", flush=True)
        msgs = bodies(n)
        doc_size = 700
        print("publishing the backlog ...", flush=True)
        seconds = await publish(vhost.url, msgs, "task.created")
        await wait_depth(vhost.url, "audit.events", n)
        print(f"  published {n:,} in {seconds:.1f}s ({n / seconds:,.0f}/s)", flush=True)

        # Floors.
        await publish(vhost.url, msgs[: 2 * floor_n], "bench.floor", direct=True)
        await wait_depth(vhost.url, "bench.floor", 2 * floor_n)
        consume_floor = await raw_consume(vhost.url, "bench.floor", floor_n)
        consume_floor_multi = await raw_consume(
            vhost.url, "bench.floor", floor_n, every=settings.batch_size
        )
        insert_floor = await raw_insert(owner_dsn, floor_n)
        hash_floor = raw_hash(floor_n, doc_size)
        print(f"  floor: raw consume, ack each {consume_floor:,.0f} msg/s", flush=True)
        print(f"  load average before catch-up: {os.getloadavg()}", flush=True)
        print(
            f"  floor: raw consume, one multiple-ack per {settings.batch_size} "
            f"{consume_floor_multi:,.0f} msg/s",
            flush=True,
        )
        print(f"  floor: raw batched INSERT {insert_floor:,.0f} rows/s", flush=True)
        print(f"  floor: raw sha256 ({doc_size} B) {hash_floor:,.0f} hashes/s", flush=True)

        # Catch-up with the real consumer.
        engine = create_async_engine(owner_url, pool_size=2)
        maker = async_sessionmaker(engine, expire_on_commit=False)
        consumer = BatchConsumer(
            vhost.url, EXCHANGE, spec, maker, inbox, redact=settings.redaction, declare=False,
        )  # fmt: skip
        stop = asyncio.Event()
        started = time.perf_counter()
        task = asyncio.create_task(consumer.run(stop))
        while consumer.handled < n:
            await asyncio.sleep(0.2)
            if task.done():
                task.result()
        catchup = time.perf_counter() - started
        stop.set()
        await task
        recorded = await count(owner_dsn)
        print(
            f"  catch-up: {recorded:,} entries in {catchup:.1f}s = {n / catchup:,.0f} events/s "
            f"({consumer.batches:,} batches, {consumer.parked} parked)",
            flush=True,
        )

        # One by one (the framework's per-message transaction), on a small sample.
        await publish(vhost.url, bodies(one_by_one), "bench.one_by_one", direct=True)
        await wait_depth(vhost.url, "bench.one_by_one", one_by_one)
        slow = Consumer(
            vhost.url, EXCHANGE, slow_spec, maker, inbox, handlers={},
            default_handler=make_handler(settings.redaction), declare=False,
        )  # fmt: skip
        stop = asyncio.Event()
        started = time.perf_counter()
        task = asyncio.create_task(slow.run(stop))
        while slow.handled < one_by_one:  # noqa: ASYNC110 - progress poll
            await asyncio.sleep(0.1)
        slow_rate = one_by_one / (time.perf_counter() - started)
        stop.set()
        await task
        await engine.dispose()
        print(f"  one-by-one: {slow_rate:,.0f} events/s", flush=True)

        # Verification of the whole chain as the api role.
        api = create_async_engine(api_url).execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True
        )
        total = await count(owner_dsn)
        started = time.perf_counter()
        async with api.connect() as conn:
            result = await verify(conn, chunk=5000)
        verify_s = time.perf_counter() - started
        await api.dispose()
        select_floor = await raw_select(db.dsn_for("taskflow_audit_api"), total)
        hash_floor_total = raw_hash(total, doc_size)
        print(
            f"  verify: ok={result.ok} {result.checked:,} entries in {verify_s:.1f}s = "
            f"{result.checked / verify_s:,.0f} entries/s",
            flush=True,
        )
        print(f"  floor: raw streaming SELECT {select_floor:,.0f} rows/s", flush=True)
        print(f"  floor: raw sha256 over {total:,} docs {hash_floor_total:,.0f} hashes/s")
    finally:
        rabbitmq.delete_vhost(vhost)
        db.drop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--one-by-one", type=int, default=5_000)
    parser.add_argument("--floor", type=int, default=200_000)
    args = parser.parse_args()
    asyncio.run(main(args.events, args.one_by_one, min(args.floor, args.events // 2)))
