"""The consumer framework: idempotent handling, retries with growing delay, parking.

For each message, in delivery order, one at a time:

1. ``decode`` and ``envelope.event()``; a malformed message (not JSON, not an envelope, unknown
   type or version, data that does not match) is parked at once with the reason;
2. one database transaction: insert ``(event_id, queue)`` into the service's ``inbox`` with
   ``ON CONFLICT DO NOTHING``; if the row already existed this is a duplicate delivery and the
   handler is skipped; otherwise the handler runs in the same transaction, so its effect and
   the inbox row commit together (exactly-once effect over at-least-once delivery);
3. after the commit, ack. If the handler raised, the transaction rolled back; the message goes
   to the retry queue of its attempt (``x-attempts`` + 1) and comes back after the delay, or is
   parked in ``<queue>.dlq`` once ``max_attempts`` is reached, with ``x-error``. The original is
   acked only after the broker confirmed the retry/park copy, so nothing is dropped. A DLQ at its
   length limit refuses the copy (nack): the original is then put back after a pause (growing
   to 30 s) and ``taskflow_events_park_refused_total`` counts it, so a full DLQ raises an alert
   and holds the message instead of losing it or failing the consumer.

Batch mode (``QueueSpec(batch_size=N)`` with ``N > 1``; off by default). The unit of work
becomes up to ``N`` messages already delivered (after the first, it waits at most
``batch_wait_ms`` for more), taken in delivery order:

1. malformed messages and messages without a handler are parked at once, as above;
2. the rest run in ONE transaction: one multi-row inbox insert (``ON CONFLICT DO NOTHING
   RETURNING``), then each fresh event's handler in delivery order; a second copy of an id, in
   the inbox already or earlier in the same batch, is a duplicate and skipped;
3. after the commit, one ``multiple`` ack on the batch's last delivery tag (every lower tag is
   settled by then: earlier batches, parked messages). A crash before it only causes
   redeliveries, which the inbox skips;
4. if the batch transaction fails, nothing of it was written, and the batch is replayed one
   message at a time through the single-message path above: a poison message is retried and
   parked alone, the others are applied once. The failed batch does not count as an attempt.
   When the database itself is away, the whole batch is put back (after a pause) instead.

Handlers must therefore keep every effect inside the session: after a failed batch the
healthy handlers run again (their rolled-back effects are redone, once).

Graceful stop: set the ``stop`` event (``install_signal_handlers`` wires SIGTERM/SIGINT): the
consumer cancels its subscription, finishes the message (or the partial batch) in hand and
closes the channel, which returns prefetched but unhandled messages to the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import signal
import time
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import aio_pika
import aiormq
import orjson
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue
from sqlalchemy import Column, DateTime, MetaData, String, Table, Uuid, func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError, InterfaceError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from taskflow.events.contracts import Event, event_class
from taskflow.events.envelope import Envelope, decode
from taskflow.events.errors import EventError, MalformedEvent, PublishFailed
from taskflow.events.metrics import CONSUMED, HANDLE_SECONDS, PARK_REFUSED
from taskflow.events.relay import BROKER_ERRORS, Backoff, sleep_or_stop
from taskflow.events.topology import QueueSpec, declare_exchange, declare_queue

log = logging.getLogger(__name__)

H_ERROR = "x-error"
H_ATTEMPTS = "x-attempts"
H_ORIGINAL_KEY = "x-original-routing-key"
H_PARKED_AT = "x-parked-at"
H_QUEUE = "x-queue"


class Handler(Protocol):
    """``async def handle(session, envelope, event)``: apply the event; never commit."""

    def __call__(self, session: AsyncSession, envelope: Envelope, event: Event) -> Awaitable[None]:
        """Apply one event inside the consumer's transaction."""


def inbox_table(metadata: MetaData, name: str = "inbox") -> Table:
    """The inbox of handled event ids, in the consumer service's schema.

    The key is ``(event_id, queue)`` rather than ``event_id`` alone, so that a service with two
    queues bound to the same event type handles it once per queue.
    """
    return Table(
        name,
        metadata,
        Column("event_id", Uuid, primary_key=True),
        Column("queue", String(200), primary_key=True),
        Column("handled_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


_CREDENTIALS = re.compile(r"(://)[^/@\s]+@")


def safe_error(exc: BaseException, limit: int = 300) -> str:
    """A short header-safe description: type and first line, URL credentials masked."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    text = _CREDENTIALS.sub(r"\1***@", text)
    return text.encode("ascii", "replace").decode()[:limit]


def _is_infrastructure(exc: BaseException) -> bool:
    """A lost or refused database connection (as opposed to a bug or bad data)."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, (ConnectionError, OSError, TimeoutError, InterfaceError))


def _attempts(message: AbstractIncomingMessage) -> int:
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


class Consumer:
    """Consumes one :class:`QueueSpec` with handlers by event type (see module docstring)."""

    def __init__(
        self,
        amqp_url: str,
        exchange: str,
        spec: QueueSpec,
        sessionmaker: async_sessionmaker[AsyncSession],
        inbox_table: Table,
        handlers: Mapping[str, Handler],
        default_handler: Handler | None = None,
        *,
        declare: bool = True,
        connect_timeout: float = 5.0,
        backoff: Backoff | None = None,
    ) -> None:
        self.amqp_url = amqp_url
        self.exchange = exchange
        self.spec = spec
        self.sessionmaker = sessionmaker
        self.inbox = inbox_table
        self.handlers = dict(handlers)
        self.default_handler = default_handler
        self.declare = declare
        self.connect_timeout = connect_timeout
        self.backoff = backoff or Backoff()
        self.db_backoff = Backoff(base=0.2, cap=10)
        self.park_backoff = Backoff(base=0.5, cap=30)
        self.ready = asyncio.Event()  # set once consuming (tests wait for it)
        self.handled = 0
        self.duplicates = 0
        self.parked = 0
        self.park_refused = 0
        self.retried = 0
        self.batches = 0  # batch transactions committed (batch mode)
        self.fallbacks = 0  # batches replayed one message at a time

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set; reconnects with backoff when the broker goes away."""
        while not stop.is_set():
            try:
                await self._session(stop)
                self.backoff.reset()
            except BROKER_ERRORS as exc:
                self.ready.clear()
                delay = self.backoff.next()
                log.warning(
                    "consumer %s: broker error (%s); reconnecting in %.2fs",
                    self.spec.name,
                    safe_error(exc),
                    delay,
                )
                await sleep_or_stop(stop, delay)

    async def _session(self, stop: asyncio.Event) -> None:
        connection = await aio_pika.connect(self.amqp_url, timeout=self.connect_timeout)
        try:
            channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
            # Declare first: keeping an outdated queue reopens the channel, which loses the QoS.
            queue = await self._queue(channel)
            await channel.set_qos(prefetch_count=self.spec.prefetch)
            inbox: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
            tag = await queue.consume(inbox.put)
            self.ready.set()
            closed = asyncio.Event()
            connection.close_callbacks.add(lambda *_: closed.set())
            while not stop.is_set() and not closed.is_set():
                batch = await self._collect(inbox, stop, closed)
                if len(batch) == 1:  # a lone message (or batch mode off): the plain path
                    await self._process(channel, batch[0])
                elif batch:
                    await self._process_batch(channel, batch)
            if closed.is_set() and not stop.is_set():
                raise ConnectionError("broker connection closed")
            # Graceful stop: no new deliveries, and what was prefetched but not handled goes
            # back now rather than when the close completes (a slow close on a loaded machine
            # kept it unacked for as long as the connection lingered).
            with contextlib.suppress(*BROKER_ERRORS):
                await asyncio.wait_for(queue.cancel(tag), timeout=5)
                while not inbox.empty():
                    await inbox.get_nowait().nack(requeue=True)
        finally:
            self.ready.clear()
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(connection.close(), timeout=5)

    async def _collect(
        self,
        inbox: asyncio.Queue[AbstractIncomingMessage],
        stop: asyncio.Event,
        closed: asyncio.Event,
    ) -> list[AbstractIncomingMessage]:
        """Wait for one message (or stop); in batch mode, take more for ``batch_wait_ms``.

        Stop (or a lost connection) ends the wait at once: the partial batch is handled.
        """
        get = asyncio.ensure_future(inbox.get())
        stopped = asyncio.ensure_future(stop.wait())
        lost = asyncio.ensure_future(closed.wait())
        try:
            await asyncio.wait({get, stopped, lost}, return_when=asyncio.FIRST_COMPLETED)
            if not get.done():
                return []
            batch = [get.result()]
            if self.spec.batch_size == 1:
                return batch
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.spec.batch_wait_ms / 1000
            while len(batch) < self.spec.batch_size and not stopped.done() and not lost.done():
                try:
                    batch.append(inbox.get_nowait())
                    continue
                except asyncio.QueueEmpty:
                    pass
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                get = asyncio.ensure_future(inbox.get())
                await asyncio.wait(
                    {get, stopped, lost}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED
                )
                if not get.done():
                    break
                batch.append(get.result())
            return batch
        finally:
            for waiter in (get, stopped, lost):
                if not waiter.done():
                    waiter.cancel()

    async def _process_batch(
        self, channel: AbstractChannel, batch: list[AbstractIncomingMessage]
    ) -> None:
        """Handle several messages in one transaction (see "Batch mode" in the module doc)."""
        started = time.perf_counter()
        ready: list[tuple[AbstractIncomingMessage, Envelope, Event, Handler]] = []
        for message in batch:
            try:
                envelope = decode(message.body)
                event = envelope.event()
            except MalformedEvent as exc:
                await self._park(channel, message, exc.reason, _attempts(message))
                continue
            handler = self.handlers.get(envelope.type, self.default_handler)
            if handler is None:
                reason = f"no handler for {envelope.type!r}"
                await self._park(channel, message, reason, _attempts(message))
                continue
            ready.append((message, envelope, event, handler))
        if not ready:
            return
        try:
            handled = await self._apply_batch(ready)
        except Exception as exc:
            if _is_infrastructure(exc):
                delay = self.db_backoff.next()
                log.warning(
                    "consumer %s: database unavailable (%s); requeue batch in %.2fs",
                    self.spec.name,
                    safe_error(exc),
                    delay,
                )
                await asyncio.sleep(delay)
                # Every lower tag is settled, so this puts back exactly the batch, in order.
                await ready[-1][0].nack(multiple=True, requeue=True)
                return
            log.warning(
                "consumer %s: batch of %d failed (%s); handling it one message at a time",
                self.spec.name,
                len(ready),
                safe_error(exc),
            )
            self.fallbacks += 1
            for message, *_ in ready:
                await self._process(channel, message)
            return
        self.db_backoff.reset()
        # Earlier batches and the messages parked above are settled already, so this one
        # frame acks exactly this batch.
        await ready[-1][0].ack(multiple=True)
        self.batches += 1
        duplicates = len(ready) - handled
        self.handled += handled
        self.duplicates += duplicates
        per_message = (time.perf_counter() - started) / len(ready)
        seconds = HANDLE_SECONDS.labels(self.spec.name)
        for _ in ready:
            seconds.observe(per_message)
        if handled:
            CONSUMED.labels(self.spec.name, "handled").inc(handled)
        if duplicates:
            CONSUMED.labels(self.spec.name, "duplicate").inc(duplicates)

    async def _apply_batch(
        self, ready: list[tuple[AbstractIncomingMessage, Envelope, Event, Handler]]
    ) -> int:
        """Inbox rows and handler effects of a batch in one transaction; return how many ran."""
        async with self.sessionmaker() as session, session.begin():
            result = await session.execute(
                pg_insert(self.inbox)
                .values([{"event_id": env.id, "queue": self.spec.name} for _, env, _, _ in ready])
                .on_conflict_do_nothing()
                .returning(self.inbox.c.event_id)
            )
            fresh = set(result.scalars())
            handled = 0
            for _, envelope, event, handler in ready:
                if envelope.id not in fresh:
                    continue  # seen before, or a second copy earlier in this batch
                fresh.discard(envelope.id)
                await handler(session, envelope, event)
                handled += 1
            return handled

    async def _queue(self, channel: AbstractChannel) -> AbstractQueue:
        if self.declare:
            exchange = await declare_exchange(channel, self.exchange)
            return await declare_queue(channel, exchange, self.spec)
        return await channel.get_queue(self.spec.name, ensure=False)

    async def _process(self, channel: AbstractChannel, message: AbstractIncomingMessage) -> None:
        started = time.perf_counter()
        attempts = _attempts(message)
        try:
            envelope = decode(message.body)
            event = envelope.event()
        except MalformedEvent as exc:
            await self._park(channel, message, exc.reason, attempts)
            return
        handler = self.handlers.get(envelope.type, self.default_handler)
        if handler is None:
            await self._park(channel, message, f"no handler for {envelope.type!r}", attempts)
            return
        try:
            async with self.sessionmaker() as session, session.begin():
                fresh = await session.execute(
                    pg_insert(self.inbox)
                    .values(event_id=envelope.id, queue=self.spec.name)
                    .on_conflict_do_nothing()
                    .returning(self.inbox.c.event_id)
                )
                if fresh.first() is None:
                    duplicate = True
                else:
                    duplicate = False
                    await handler(session, envelope, event)
        except Exception as exc:  # the handler's (or the database's) failure
            if _is_infrastructure(exc):
                # The database is away: not this message's fault, so no attempt is used up.
                # Put it back after a pause; order is kept (single active consumer, requeue).
                delay = self.db_backoff.next()
                log.warning(
                    "consumer %s: database unavailable (%s); requeue in %.2fs",
                    self.spec.name,
                    safe_error(exc),
                    delay,
                )
                await asyncio.sleep(delay)
                await message.nack(requeue=True)
                return
            attempts += 1
            error = safe_error(exc)
            if attempts >= self.spec.max_attempts:
                log.error(
                    "consumer %s: parking %s after %d attempts: %s",
                    self.spec.name,
                    envelope.id,
                    attempts,
                    error,
                )
                await self._park(channel, message, error, attempts)
            else:
                await self._retry(channel, message, error, attempts)
            return
        self.db_backoff.reset()
        await message.ack()
        HANDLE_SECONDS.labels(self.spec.name).observe(time.perf_counter() - started)
        if duplicate:
            self.duplicates += 1
            CONSUMED.labels(self.spec.name, "duplicate").inc()
        else:
            self.handled += 1
            CONSUMED.labels(self.spec.name, "handled").inc()

    async def _publish_default(
        self, channel: AbstractChannel, message: aio_pika.Message, queue: str
    ) -> None:
        """Publish to ``queue`` through the default exchange, confirmed; raise when it is not."""
        try:
            await channel.default_exchange.publish(message, routing_key=queue, mandatory=True)
        except aio_pika.exceptions.PublishError as exc:
            raise PublishFailed(f"queue {queue!r} missing") from exc

    async def _retry(
        self, channel: AbstractChannel, message: AbstractIncomingMessage, error: str, attempts: int
    ) -> None:
        copy = _copy(
            message,
            {H_ATTEMPTS: attempts, H_ERROR: error, H_ORIGINAL_KEY: _original_key(message)},
        )
        await self._publish_default(channel, copy, self.spec.retry_queue(attempts))
        await message.ack()
        self.retried += 1
        CONSUMED.labels(self.spec.name, "retried").inc()

    async def _park(
        self, channel: AbstractChannel, message: AbstractIncomingMessage, error: str, attempts: int
    ) -> None:
        copy = _copy(
            message,
            {
                H_ERROR: error[:500],
                H_ATTEMPTS: attempts,
                H_ORIGINAL_KEY: _original_key(message),
                H_PARKED_AT: datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                H_QUEUE: self.spec.name,
            },
        )
        try:
            await self._publish_default(channel, copy, self.spec.dlq)
        except aiormq.exceptions.DeliveryError as exc:
            if isinstance(exc, aiormq.exceptions.PublishError):
                raise  # returned: the DLQ is missing, not full
            # Nacked: the DLQ is at its length limit (reject-publish). Keep the message.
            self.park_refused += 1
            PARK_REFUSED.labels(self.spec.name).inc()
            delay = self.park_backoff.next()
            log.error(
                "consumer %s: the parking queue refused %s (full?); put back in %.2fs",
                self.spec.name,
                message.message_id,
                delay,
            )
            await asyncio.sleep(delay)
            await message.nack(requeue=True)
            return
        self.park_backoff.reset()
        await message.ack()
        self.parked += 1
        CONSUMED.labels(self.spec.name, "parked").inc()


def install_signal_handlers(stop: asyncio.Event) -> None:
    """Set ``stop`` on SIGTERM and SIGINT (call from the worker's running loop)."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)


# -- parked messages ------------------------------------------------------------------------


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
        attempts=_attempts(message),
        parked_at=_header_str(message, H_PARKED_AT),
        envelope=envelope,
        body_preview=preview,
    )


async def _drain(
    channel: AbstractChannel, queue_name: str, limit: int
) -> list[AbstractIncomingMessage]:
    """Get up to ``limit`` messages without acking (they return to the queue on close)."""
    queue = await channel.get_queue(queue_name, ensure=True)
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
