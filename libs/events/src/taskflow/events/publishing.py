"""Publishing one batch of outbox rows and reading the broker's answers.

Every row is published concurrently on one channel (AMQP keeps a channel's publish order) and
:func:`settle` decides from the confirms which rows count as sent: a failure holds back the
later rows of its aggregate, so a consumer never sees an aggregate's events out of order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import aio_pika
import aiormq
import orjson
from aio_pika.abc import AbstractExchange

from taskflow.common.logging import describe_error
from taskflow.events.envelope import CONTENT_TYPE
from taskflow.events.lifecycle import BROKER_ERRORS
from taskflow.events.metrics import RELAY_FAILURES


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
        return await exchange.publish(message, routing_key=row.routing_key, mandatory=True)

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
