"""Parked messages: the headers a parked or retried copy carries, and the admin's tools.

The consumer parks a message it cannot handle in ``<queue>.dlq`` (:func:`park`) or sends it to
the retry queue of its next attempt (:func:`retry`); each copy keeps the original's id, type and
routing key and adds why. :func:`list_parked` and :func:`replay_parked` are what an admin (the
router in :mod:`taskflow.events.admin`, a command) does with them.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aio_pika
import aiormq
import orjson
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage

from taskflow.common.logging import get_logger
from taskflow.events.contracts import event_class
from taskflow.events.errors import EventError, PublishFailed
from taskflow.events.lifecycle import Backoff
from taskflow.events.topology import QueueSpec

log = get_logger(__name__)

H_ERROR = "x-error"
H_ATTEMPTS = "x-attempts"
H_ORIGINAL_KEY = "x-original-routing-key"
H_PARKED_AT = "x-parked-at"
H_QUEUE = "x-queue"


def attempts_of(message: AbstractIncomingMessage) -> int:
    """How many times the message was tried already (its ``x-attempts``, 0 when absent)."""
    value = (message.headers or {}).get(H_ATTEMPTS, 0)
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0


def _original_key(message: AbstractIncomingMessage) -> str:
    value = (message.headers or {}).get(H_ORIGINAL_KEY)
    if isinstance(value, bytes):
        value = value.decode()
    return str(value) if value else (message.routing_key or "")


def _copy(message: AbstractIncomingMessage, headers: dict[str, Any]) -> aio_pika.Message:
    """A persistent copy of ``message`` with extra headers, keeping id, type and content type."""
    merged = dict(message.headers or {})
    merged.update(headers)
    return aio_pika.Message(
        body=message.body,
        headers=merged,
        content_type=message.content_type,
        message_id=message.message_id,
        type=message.type,
        app_id=message.app_id,
        timestamp=message.timestamp,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
    )


async def _publish_default(channel: AbstractChannel, message: aio_pika.Message, queue: str) -> None:
    """Publish to ``queue`` through the default exchange, confirmed; raise when it is not."""
    try:
        await channel.default_exchange.publish(message, routing_key=queue, mandatory=True)
    except aio_pika.exceptions.PublishError as exc:
        raise PublishFailed(f"queue {queue!r} missing") from exc


async def retry(
    channel: AbstractChannel,
    spec: QueueSpec,
    message: AbstractIncomingMessage,
    error: str,
    attempts: int,
) -> None:
    """Send a copy to the retry queue of ``attempts``; ack the original once it is confirmed."""
    copy = _copy(
        message,
        {H_ATTEMPTS: attempts, H_ERROR: error, H_ORIGINAL_KEY: _original_key(message)},
    )
    await _publish_default(channel, copy, spec.retry_queue(attempts))
    await message.ack()


async def park(
    channel: AbstractChannel,
    spec: QueueSpec,
    message: AbstractIncomingMessage,
    error: str,
    attempts: int,
) -> None:
    """Send a copy to ``<queue>.dlq`` with why; ack the original once it is confirmed."""
    copy = _copy(
        message,
        {
            H_ERROR: error[:500],
            H_ATTEMPTS: attempts,
            H_ORIGINAL_KEY: _original_key(message),
            H_PARKED_AT: datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            H_QUEUE: spec.name,
        },
    )
    await _publish_default(channel, copy, spec.dlq)
    await message.ack()


async def park_or_put_back(
    channel: AbstractChannel,
    spec: QueueSpec,
    message: AbstractIncomingMessage,
    error: str,
    attempts: int,
    backoff: Backoff,
) -> bool:
    """Park ``message``; return False when the DLQ refused the copy and it went back instead.

    A DLQ at its length limit (reject-publish) nacks the copy: the original is then put back
    after a pause from ``backoff`` (growing to its cap), so a full DLQ holds messages instead
    of losing them or failing the consumer. A returned copy (the DLQ is missing) raises.
    """
    try:
        await park(channel, spec, message, error, attempts)
    except aiormq.exceptions.DeliveryError as exc:
        if isinstance(exc, aiormq.exceptions.PublishError):
            raise  # returned: the DLQ is missing, not full
        delay = backoff.next()
        log.error(
            "consumer_park_refused",
            queue=spec.name,
            message_id=message.message_id,
            retry_in=round(delay, 2),
        )
        await asyncio.sleep(delay)
        await message.nack(requeue=True)
        return False
    backoff.reset()
    return True


@dataclass(frozen=True)
class ParkedMessage:
    """A message in ``<queue>.dlq`` as an admin sees it (sensitive fields redacted)."""

    message_id: str | None
    event_type: str | None
    routing_key: str
    error: str
    attempts: int
    parked_at: str | None
    envelope: dict[str, Any] | None
    body_preview: str | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (the admin endpoint's item)."""
        return {
            "message_id": self.message_id,
            "event_type": self.event_type,
            "routing_key": self.routing_key,
            "error": self.error,
            "attempts": self.attempts,
            "parked_at": self.parked_at,
            "envelope": self.envelope,
            "body_preview": self.body_preview,
        }


def _header_str(message: AbstractIncomingMessage, name: str) -> str | None:
    value = (message.headers or {}).get(name)
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


def _describe(message: AbstractIncomingMessage) -> ParkedMessage:
    envelope: dict[str, Any] | None = None
    preview: str | None = None
    try:
        raw = orjson.loads(message.body)
        if not isinstance(raw, dict):
            raise ValueError("not an object")
        envelope = raw
        data = raw.get("data")
        schema = str(raw.get("dataschema", ""))
        version = int(schema.rsplit("/v", 1)[1]) if "/v" in schema else 1
        if isinstance(data, dict):
            with contextlib.suppress(EventError, ValueError):
                cls = event_class(str(raw.get("type")), version)
                raw["data"] = {
                    k: ("[redacted]" if k in cls.sensitive_fields and v is not None else v)
                    for k, v in data.items()
                }
    except (orjson.JSONDecodeError, ValueError, IndexError):
        envelope = None
        preview = message.body[:200].decode("utf-8", "replace")
    return ParkedMessage(
        message_id=message.message_id,
        event_type=message.type,
        routing_key=_original_key(message),
        error=_header_str(message, H_ERROR) or "",
        attempts=attempts_of(message),
        parked_at=_header_str(message, H_PARKED_AT),
        envelope=envelope,
        body_preview=preview,
    )


async def _drain(
    channel: AbstractChannel, queue_name: str, limit: int
) -> list[AbstractIncomingMessage]:
    """Get up to ``limit`` messages without acking (they return to the queue on close).

    A parking queue that does not exist yet (the consumer declares it when it first starts)
    holds nothing: an empty list, not the broker's NOT_FOUND (found by fuzzing the admin
    routes, which answered 500 on a fresh broker).
    """
    try:
        queue = await channel.get_queue(queue_name, ensure=True)
    except aiormq.exceptions.ChannelNotFoundEntity:
        return []
    got: list[AbstractIncomingMessage] = []
    while len(got) < limit:
        message = await queue.get(no_ack=False, fail=False, timeout=5)
        if message is None:
            break
        got.append(message)
    return got


async def list_parked(amqp_url: str, queue: str, limit: int = 100) -> list[ParkedMessage]:
    """The first ``limit`` parked messages of ``queue`` (its ``.dlq``), left in place."""
    connection = await aio_pika.connect(amqp_url, timeout=10)
    try:
        channel = await connection.channel()
        messages = await _drain(channel, f"{queue}.dlq", limit)
        described = [_describe(m) for m in messages]
        for m in reversed(messages):  # back in their original places
            await m.nack(requeue=True)
        return described
    finally:
        await connection.close()


async def replay_parked(
    amqp_url: str,
    queue: str,
    exchange: str = "taskflow.events",
    message_ids: list[str] | None = None,
    *,
    to_queue_only: bool = True,
    limit: int = 10_000,
) -> int:
    """Send parked messages back for another try; return how many were replayed.

    ``message_ids=None`` replays everything. Each copy keeps its ``message_id`` and routing key
    and starts again at attempt 0. With ``to_queue_only`` (the default) the copy goes straight
    to ``queue`` through the default exchange, so other consumers of the topic exchange do not
    get it again; otherwise it is published to ``exchange`` with its original routing key. A
    parked message is removed only after its copy was confirmed.
    """
    wanted = set(message_ids) if message_ids is not None else None
    replayed = 0
    connection = await aio_pika.connect(amqp_url, timeout=10)
    try:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        target = (
            channel.default_exchange
            if to_queue_only
            else await channel.get_exchange(exchange, ensure=True)
        )
        messages = await _drain(channel, f"{queue}.dlq", limit)
        keep: list[AbstractIncomingMessage] = []
        for message in messages:
            if wanted is not None and message.message_id not in wanted:
                keep.append(message)
                continue
            original = _original_key(message)
            headers = {
                k: v
                for k, v in (message.headers or {}).items()
                if k not in (H_ERROR, H_ATTEMPTS, H_PARKED_AT, H_QUEUE)
            }
            headers[H_ORIGINAL_KEY] = original
            copy = aio_pika.Message(
                body=message.body,
                headers=headers,
                content_type=message.content_type,
                message_id=message.message_id,
                type=message.type,
                app_id=message.app_id,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            )
            key = queue if to_queue_only else original
            try:
                await target.publish(copy, routing_key=key, mandatory=True)
            except aio_pika.exceptions.PublishError:
                keep.append(message)
                continue
            await message.ack()
            replayed += 1
        for message in reversed(keep):
            await message.nack(requeue=True)
        return replayed
    finally:
        await connection.close()
