"""Publishing one batch of outbox rows and reading the broker's answers.

Every row is published concurrently on one channel (AMQP keeps a channel's publish order) and
:func:`settle` decides from the confirms which rows count as sent: a failure holds back the
later rows of its aggregate, so a consumer never sees an aggregate's events out of order.

With trace export on, each publish runs in a producer span, child of the ``traceparent`` the
event was written with: a trace shows when the event left for the broker and how long its
confirm took (an error status when it was not confirmed). The message itself is not changed:
its envelope keeps naming the span that wrote it, which consumers take as their parent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import aio_pika
import aiormq
import orjson
from aio_pika.abc import AbstractExchange
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from taskflow.common.logging import describe_error
from taskflow.common.telemetry import tracer, tracing_enabled
from taskflow.events.envelope import CONTENT_TYPE
from taskflow.events.lifecycle import BROKER_ERRORS
from taskflow.events.metrics import RELAY_FAILURES

_PROPAGATOR = TraceContextTextMapPropagator()


@contextmanager
def producer_span(exchange: str, row: Any, envelope: dict[str, Any]) -> Iterator[Span | None]:
    """A producer span for one published row while export is on (None while it is off)."""
    if not tracing_enabled():
        yield None
        return
    traceparent = envelope.get("traceparent")
    parent = _PROPAGATOR.extract({"traceparent": traceparent}) if traceparent else None
    span = tracer().start_span(
        f"{exchange} publish",
        context=parent,
        kind=SpanKind.PRODUCER,
        attributes={
            "messaging.system": "rabbitmq",
            "messaging.operation.type": "publish",
            "messaging.destination.name": exchange,
            "messaging.rabbitmq.destination.routing_key": row.routing_key,
            "messaging.message.id": str(row.event_id),
            "cloudevents.event_type": row.routing_key,
        },
    )
    with trace.use_span(span, end_on_exit=True):
        yield span


async def publish_all(
    exchange: AbstractExchange, rows: Sequence[Any], confirm_within: float
) -> list[object]:
    """Publish every row concurrently on one channel; one result (or exception) per row."""

    async def publish(row: Any) -> object:
        envelope = orjson.loads(row.envelope)
        message = aio_pika.Message(
            body=orjson.dumps(envelope),
            message_id=str(row.event_id),
            content_type=CONTENT_TYPE,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            type=row.routing_key,
            app_id=str(envelope.get("source", ""))[:255],
            headers={"x-event-type": row.routing_key},
        )
        with producer_span(exchange.name, row, envelope) as span:
            result = await exchange.publish(message, routing_key=row.routing_key, mandatory=True)
            if span is not None and not isinstance(result, aiormq.spec.Basic.Ack):
                span.set_status(StatusCode.ERROR, f"not confirmed: {type(result).__name__}")
            return result

    tasks = [asyncio.ensure_future(publish(r)) for r in rows]
    _done, pending = await asyncio.wait(tasks, timeout=confirm_within)
    for task in pending:
        task.cancel()
    results: list[object] = []
    for task in tasks:
        if task in pending:
            results.append(TimeoutError("no publisher confirm in time"))
        elif task.cancelled():
            results.append(asyncio.CancelledError())
        elif task.exception() is not None:
            results.append(task.exception())
        else:
            results.append(task.result())
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
    return results


def settle(
    relay: str, rows: Sequence[Any], results: Sequence[object]
) -> tuple[list[int], list[int], dict[str, list[int]]]:
    """Split rows into sent and failed; a failure holds back later rows of its aggregate."""
    sent: list[int] = []
    failed: list[int] = []
    errors: dict[str, list[int]] = {}
    blocked: set[str] = set()
    for row, result in zip(rows, results, strict=True):
        error: str | None = None
        if isinstance(result, aiormq.spec.Basic.Ack):
            if row.aggregate_id in blocked:
                error = "held back: an earlier event of this aggregate failed"
        elif isinstance(result, aio_pika.exceptions.PublishError):
            error = f"unroutable: no queue bound to {row.routing_key!r}"
            RELAY_FAILURES.labels(relay, "unroutable").inc()
        elif isinstance(result, BaseException):
            error = describe_error(result)
            RELAY_FAILURES.labels(relay, "broker").inc()
        else:  # a returned message without on_return_raises, or an unexpected frame
            error = f"not confirmed: {type(result).__name__}"
            RELAY_FAILURES.labels(relay, "unconfirmed").inc()
        if error is None:
            sent.append(row.id)
        else:
            failed.append(row.id)
            blocked.add(row.aggregate_id)
            errors.setdefault(error, []).append(row.id)
    return sent, failed, errors


def is_broker_error(exc: BaseException) -> bool:
    """True for failures of the connection, not of one message (a return is not one)."""
    if isinstance(exc, aio_pika.exceptions.PublishError):
        return False
    return isinstance(exc, (*BROKER_ERRORS, asyncio.CancelledError))
