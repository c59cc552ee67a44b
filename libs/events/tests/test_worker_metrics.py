"""A worker process serves its relay and consumer metrics on `metrics_port` (what the chart's
PodMonitor scrapes and the outbox and parked alerts read), through the real CLI entry point,
with a real relay and consumer on PostgreSQL and RabbitMQ."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from taskflow.common.cli import make_cli
from taskflow.common.settings import ServiceSettings
from taskflow.events import Consumer, Envelope, Event, Outbox, OutboxRelay, QueueSpec, TaskUpdated
from taskflow.events.examples import task_snapshot
from taskflow.events.ids import uuid7
from taskflow.testing import free_port, wait_until
from taskflow.testing.postgres import FreshDatabase


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_worker_serves_relay_and_consumer_metrics_on_its_port(
    clean_db: Any, test_database: FreshDatabase, amqp_url: str, exchange_name: str
) -> None:
    db = clean_db
    port = free_port()
    outbox_name = f"metrics-{secrets.token_hex(4)}"
    spec = QueueSpec(name=f"test.{secrets.token_hex(4)}", bindings=("task.*",), max_attempts=1)
    scraped: dict[str, str] = {}

    async def handle(session: AsyncSession, envelope: Envelope, event: Event) -> None:
        raise RuntimeError("the handler fails: the message is parked")

    async def worker(settings: Any) -> None:
        # Its own engine: this runs in the CLI's own event loop (another thread).
        engine = create_async_engine(test_database.admin_url, pool_size=2)
        sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
        relay = OutboxRelay(engine, db.outbox, amqp_url, exchange_name, name=outbox_name)
        consumer = Consumer(amqp_url, exchange_name, spec, sessionmaker, db.inbox, {}, handle)
        stop = asyncio.Event()
        loops = [asyncio.create_task(relay.run(stop)), asyncio.create_task(consumer.run(stop))]
        try:
            await asyncio.wait_for(consumer.ready.wait(), 30)
            async with sessionmaker() as session, session.begin():
                event = TaskUpdated(task=task_snapshot(task_id=uuid7(), version=1), changes={})
                await Outbox(db.outbox, "taskflow/test").add(session, event, actor_id=None)
            await wait_until(lambda: consumer.parked == 1, timeout=30)
            async with httpx.AsyncClient() as client:
                resp = await client.get(f"http://127.0.0.1:{port}/metrics")
            scraped["status"], scraped["text"] = str(resp.status_code), resp.text
        finally:
            stop.set()
            await asyncio.gather(*loops)
            await engine.dispose()

    main = make_cli(
        name="metrics-test",
        settings=lambda: ServiceSettings(metrics_port=port, log_json=False),
        app="unused:app",
        worker=worker,
    )
    assert await asyncio.to_thread(main, ["worker"]) == 0

    assert scraped["status"] == "200"
    samples = _samples(scraped["text"])
    outbox = (("outbox", outbox_name),)
    assert samples[("taskflow_outbox_published_total", outbox)] == 1
    assert samples[("taskflow_outbox_broker_connected", outbox)] == 1
    assert ("taskflow_outbox_oldest_unpublished_seconds", outbox) in samples
    parked = (("outcome", "parked"), ("queue", spec.name))
    assert samples[("taskflow_events_consumed_total", parked)] == 1


def test_no_metrics_server_when_the_port_is_zero() -> None:
    from taskflow.common.metrics import serve_process_metrics

    assert serve_process_metrics(ServiceSettings(metrics_port=0)) is None
