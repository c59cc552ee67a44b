"""The worker process outlives its broker: refused at start and dropped later, it retries with
backoff instead of exiting, and consumes once the broker is reachable again.

`make dev` restarts a process that exits, but a worker that exits on every broker blip would
lose its place and flood the log; this runs the real `taskflow-reporting worker` command against
a fault proxy in front of the shared RabbitMQ."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit
from uuid import uuid4

import aio_pika
import pytest
from reporting_testkit import build
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from taskflow.events import Envelope
from taskflow.testing import TcpProxy, wait_until

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]

EXCHANGE = "taskflow.events"


async def publish(amqp_url: str, envelope: Envelope) -> None:
    """One event on the exchange, straight to the broker (not through the proxy)."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(EXCHANGE)
        await exchange.publish(
            aio_pika.Message(
                envelope.to_bytes(),
                message_id=str(envelope.id),
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                content_type="application/cloudevents+json",
            ),
            routing_key=envelope.type,
            mandatory=True,  # unroutable (queue not bound yet) fails here, not silently
        )


async def consumers_on(amqp_url: str, queue: str) -> int:
    """How many consumers the broker sees on `queue` (0 if it does not exist yet)."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        try:
            declared = await channel.declare_queue(queue, passive=True)
        except aio_pika.exceptions.ChannelClosed:
            return 0
        return declared.declaration_result.consumer_count or 0


async def logged(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(text("SELECT count(*) FROM event_log"))).scalar_one()


async def test_worker_waits_out_a_refusing_broker_and_a_dropped_connection(
    clean: AsyncEngine,
    reporting_url: str,
    amqp_url: str,
    fault_proxy: Callable[[str, int], Awaitable[TcpProxy]],
) -> None:
    broker = urlsplit(amqp_url)
    proxy = await fault_proxy(broker.hostname or "127.0.0.1", broker.port or 5672)
    await proxy.drop()  # refused from the first connect
    queue = f"reporting.proc-{uuid4().hex[:8]}"
    env = {
        **os.environ,
        "REPORTING_DATABASE_URL": reporting_url,
        "REPORTING_AMQP_URL": proxy.url_for(amqp_url),
        "REPORTING_QUEUE": queue,
        "REPORTING_ENVIRONMENT": "test",
        "REPORTING_LOG_LEVEL": "INFO",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from taskflow.reporting.cli import main; raise SystemExit(main(['worker']))",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output = bytearray()

    async def drain() -> None:
        assert proc.stdout is not None
        async for line in proc.stdout:
            output.extend(line)

    reader = asyncio.create_task(drain())
    envelopes = build().envelopes
    try:
        # Several refused attempts, and the process is still there.
        await wait_until(lambda: output.count(b"reconnecting") >= 3, timeout=20)
        assert proc.returncode is None, output.decode()[-2000:]

        await proxy.restore()
        await wait_until(lambda: consumers_on(amqp_url, queue), timeout=20)
        await publish(amqp_url, envelopes[0])
        await wait_until(lambda: _equals(logged(clean), 1), timeout=10)

        # The connection dies under it: same process, back again, consuming.
        before = output.count(b"reconnecting")
        await proxy.drop()
        # Still the same process after more than one attempt: it keeps trying, it did not exit.
        await wait_until(lambda: output.count(b"reconnecting") > before + 1, timeout=20)
        assert proc.returncode is None, output.decode()[-2000:]
        await proxy.restore()
        await wait_until(lambda: consumers_on(amqp_url, queue), timeout=20)
        await publish(amqp_url, envelopes[1])
        await wait_until(lambda: _equals(logged(clean), 2), timeout=10)

        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 15)
        await reader
        assert proc.returncode == 0, output.decode()[-2000:]
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
        await _delete_queue(amqp_url, queue)


async def _equals(value: Awaitable[Any], expected: Any) -> bool:
    return await value == expected


async def _delete_queue(amqp_url: str, queue: str) -> None:
    with contextlib.suppress(Exception):
        connection = await aio_pika.connect(amqp_url)
        async with connection:
            channel = await connection.channel()
            await channel.queue_delete(queue)
