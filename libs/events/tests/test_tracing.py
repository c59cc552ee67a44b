"""Trace context through the events runtime, on the real PostgreSQL and RabbitMQ.

A request's (or an event's) ``traceparent`` and request id reach every event written while it
is handled, and every log line; a consumed event's context reaches the events its handler
writes, in both the single-message and the batch path; with export on, the handler runs in a
consumer span, child of the event's, and the relay publishes each event in a producer span.
"""

from __future__ import annotations

import asyncio
import io
import json
import secrets
from typing import Any

import aio_pika
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.logging import configure_logging, get_logger
from taskflow.common.settings import ServiceSettings
from taskflow.common.telemetry import configure_tracing, shutdown_tracing
from taskflow.common.tracing import bound
from taskflow.events import (
    Consumer,
    Envelope,
    Event,
    Outbox,
    OutboxRelay,
    QueueSpec,
    TaskCompleted,
    TaskCreated,
    decode,
)
from taskflow.events.examples import example
from taskflow.testing import wait_until

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE}-00f067aa0ba902b7-01"
log = get_logger("test.handler")


async def outbox_envelopes(db: Any) -> list[Envelope]:
    async with db.engine.connect() as conn:
        rows = (await conn.execute(select(db.outbox.c.envelope).order_by(db.outbox.c.id))).all()
    return [Envelope.model_validate(r.envelope) for r in rows]


async def test_the_outbox_writes_the_bound_trace_and_request_id(clean_db: Any) -> None:
    outbox = Outbox(clean_db.outbox, "taskflow/test")
    async with clean_db.sessionmaker() as session, session.begin():
        with bound(TRACEPARENT, "req-1"):
            inside = await outbox.add(session, example(TaskCreated), actor_id=None)
        outside = await outbox.add(session, example(TaskCreated), actor_id=None)
    assert (inside.traceparent, inside.requestid) == (TRACEPARENT, "req-1")
    assert (outside.traceparent, outside.requestid) == (None, None)
    stored = await outbox_envelopes(clean_db)
    assert [(e.trace_id, e.requestid) for e in stored] == [(TRACE, "req-1"), (None, None)]


def test_an_envelope_without_requestid_or_traceparent_is_still_accepted() -> None:
    env = Envelope.wrap(example(TaskCreated), source="taskflow/test", actor_id=None)
    raw = env.to_dict()
    del raw["requestid"], raw["traceparent"]
    old = decode(json.dumps(raw))
    assert (old.traceparent, old.requestid, old.trace_id) == (None, None, None)
    assert decode(env.to_bytes()).event() == env.event()


@pytest.mark.parametrize("batch_size", [1, 5])
async def test_a_consumed_event_s_trace_reaches_its_logs_and_the_events_it_causes(
    clean_db: Any, amqp_url: str, exchange_name: str, amqp: Any, batch_size: int
) -> None:
    db = clean_db
    stream = io.StringIO()
    configure_logging("INFO", json=True, stream=stream)
    outbox = Outbox(db.outbox, "taskflow/test")

    async def handle(session: AsyncSession, envelope: Envelope, event: Event) -> None:
        log.info("handling")
        await outbox.add(session, example(TaskCompleted), actor_id=None)

    spec = QueueSpec(
        name=f"test.{secrets.token_hex(4)}",
        bindings=("task.created",),
        batch_size=batch_size,
        batch_wait_ms=200,
    )
    consumer = Consumer(
        amqp_url, exchange_name, spec, db.sessionmaker, db.inbox, {"task.created": handle}
    )
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    channel = await amqp.channel(publisher_confirms=True)
    try:
        await asyncio.wait_for(consumer.ready.wait(), 30)
        exchange = await channel.get_exchange(exchange_name)
        sent = [
            Envelope.wrap(
                example(TaskCreated),
                source="taskflow/test",
                actor_id=None,
                traceparent=f"00-{trace}-00f067aa0ba902b7-01",
                request_id=rid,
            )
            for trace, rid in ((TRACE, "req-1"), ("a" * 32, "req-2"), ("b" * 32, None))
        ]
        for env in sent:
            await exchange.publish(
                aio_pika.Message(env.to_bytes(), message_id=str(env.id)), routing_key=env.type
            )
        await wait_until(lambda: consumer.handled == 3, timeout=30)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        await channel.queue_delete(spec.name)
        await channel.close()
    caused = await outbox_envelopes(db)
    assert sorted((e.trace_id, e.requestid) for e in caused) == sorted(
        (e.trace_id, e.requestid) for e in sent
    )
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    handling = [x for x in lines if x["event"] == "handling"]
    assert sorted((x["trace_id"], x["request_id"], x["event_id"]) for x in handling) == sorted(
        (e.trace_id, e.requestid, str(e.id)) for e in sent
    )
    # Nothing leaks out of the handler: the consumer's own lines after it carry no trace.
    assert all("trace_id" not in x for x in lines if x["event"] != "handling")


async def test_with_export_on_the_handler_runs_in_a_consumer_span_child_of_the_event(
    clean_db: Any, amqp_url: str, exchange_name: str, amqp: Any
) -> None:
    db = clean_db
    exporter = InMemorySpanExporter()
    configure_tracing(ServiceSettings(service_name="test"), exporter=exporter)
    outbox = Outbox(db.outbox, "taskflow/test")

    async def handle(session: AsyncSession, envelope: Envelope, event: Event) -> None:
        await outbox.add(session, example(TaskCompleted), actor_id=None)

    spec = QueueSpec(name=f"test.{secrets.token_hex(4)}", bindings=("task.created",))
    consumer = Consumer(
        amqp_url, exchange_name, spec, db.sessionmaker, db.inbox, {"task.created": handle}
    )
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    channel = await amqp.channel(publisher_confirms=True)
    try:
        await asyncio.wait_for(consumer.ready.wait(), 30)
        exchange = await channel.get_exchange(exchange_name)
        env = Envelope.wrap(
            example(TaskCreated),
            source="taskflow/test",
            actor_id=None,
            traceparent=TRACEPARENT,
            request_id="req-1",
        )
        await exchange.publish(
            aio_pika.Message(env.to_bytes(), message_id=str(env.id)), routing_key=env.type
        )
        await wait_until(lambda: consumer.handled == 1, timeout=30)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        await channel.queue_delete(spec.name)
        await channel.close()
        shutdown_tracing()
    [span] = exporter.get_finished_spans()
    assert span.kind is SpanKind.CONSUMER
    assert span.name == f"{spec.name} process"
    assert format(span.context.trace_id, "032x") == TRACE
    assert span.parent is not None
    assert format(span.parent.span_id, "016x") == "00f067aa0ba902b7"
    [caused] = await outbox_envelopes(db)
    # The caused event names the consumer span as its parent: same trace, the span's id.
    assert caused.traceparent == f"00-{TRACE}-{span.context.span_id:016x}-01"
    assert caused.requestid == "req-1"


async def test_with_export_on_the_relay_publishes_each_event_in_a_producer_span(
    clean_db: Any, amqp_url: str, exchange_name: str, collector: Any
) -> None:
    """One producer span per published event, child of the span that wrote it; an event
    written outside any trace gets a span of a trace of its own. Unroutable: an error span."""
    db = clean_db
    outbox = Outbox(db.outbox, "taskflow/test")
    async with db.sessionmaker() as session, session.begin():
        with bound(TRACEPARENT, "req-1"):
            traced = await outbox.add(session, example(TaskCreated), actor_id=None)
        untraced = await outbox.add(session, example(TaskCreated), actor_id=None)
        unroutable = await outbox.add(session, example(TaskCompleted), actor_id=None)
    got = await collector("task.created")
    exporter = InMemorySpanExporter()
    configure_tracing(ServiceSettings(service_name="test"), exporter=exporter)
    relay = OutboxRelay(db.engine, db.outbox, amqp_url, exchange_name, unroutable_base=0)
    try:
        assert await relay.publish_batch() == 2
        await wait_until(lambda: len(got.messages) == 2)
    finally:
        await relay.close_broker()
        shutdown_tracing()
    spans = {
        span.attributes["messaging.message.id"]: span for span in exporter.get_finished_spans()
    }
    assert sorted(spans) == sorted(str(e.id) for e in (traced, untraced, unroutable))
    assert {s.kind for s in spans.values()} == {SpanKind.PRODUCER}
    assert {s.name for s in spans.values()} == {f"{exchange_name} publish"}
    child = spans[str(traced.id)]
    assert format(child.context.trace_id, "032x") == TRACE
    assert child.parent is not None
    assert format(child.parent.span_id, "016x") == "00f067aa0ba902b7"
    assert child.status.status_code is StatusCode.UNSET
    assert spans[str(untraced.id)].parent is None
    assert spans[str(unroutable.id)].status.status_code is StatusCode.ERROR
    # The messages are as before: the envelope still names the span that wrote the event.
    assert sorted(decode(m.body).traceparent or "" for m in got.messages) == ["", TRACEPARENT]


async def test_with_export_off_the_relay_makes_no_span(
    clean_db: Any, amqp_url: str, exchange_name: str, collector: Any
) -> None:
    db = clean_db
    outbox = Outbox(db.outbox, "taskflow/test")
    async with db.sessionmaker() as session, session.begin():
        with bound(TRACEPARENT, "req-1"):
            await outbox.add(session, example(TaskCreated), actor_id=None)
    got = await collector("task.created")
    exporter = InMemorySpanExporter()
    configure_tracing(ServiceSettings(service_name="test"), exporter=exporter)
    shutdown_tracing()  # export was on once and is off again: nothing may reach the exporter
    relay = OutboxRelay(db.engine, db.outbox, amqp_url, exchange_name)
    try:
        assert await relay.publish_batch() == 1
        await wait_until(lambda: len(got.messages) == 1)
    finally:
        await relay.close_broker()
    assert exporter.get_finished_spans() == ()
