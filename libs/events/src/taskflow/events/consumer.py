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

When the database itself is away (refused, reset or silent), the failure is not the message's:
the consumer keeps the message (or batch) in hand and tries it again with backoff until the
database answers. No attempt is used up and nothing goes back to the broker, because a quorum
queue counts every requeue toward its ``x-delivery-limit`` and dead-letters past it (a
minutes-long outage parked healthy events). Holding the message also stops new deliveries: the
consumer takes the next one only after this one is settled. A stop during the outage returns
what is in hand to the queue (one requeue).

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
   When the database itself is away, the batch is held and tried again, as above.

Handlers must therefore keep every effect inside the session: after a failed batch the
healthy handlers run again (their rolled-back effects are redone, once).

A subclass may apply a batch its own way through the public hook :meth:`Consumer.apply_batch`
(the audit worker turns a batch into one chain append).

Graceful stop: set the ``stop`` event (``lifecycle.install_signal_handlers`` wires SIGTERM and
SIGINT): the consumer cancels its subscription, finishes the message (or the partial batch) in
hand and hands back prefetched but unhandled messages to the queue.

Retry and parking copies, and the admin's tools for parked messages, are in
:mod:`taskflow.events.parking`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import NamedTuple, Protocol, TypeVar

import aio_pika
import aiormq
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue
from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from taskflow.common.db import database_unavailable
from taskflow.common.logging import describe_error, get_logger
from taskflow.events import parking
from taskflow.events.contracts import Event
from taskflow.events.envelope import Envelope, decode
from taskflow.events.errors import MalformedEvent
from taskflow.events.lifecycle import BROKER_ERRORS, Backoff, sleep_or_stop
from taskflow.events.metrics import CONSUMED, HANDLE_SECONDS, PARK_REFUSED
from taskflow.events.topology import QueueSpec, declare_exchange, declare_queue

log = get_logger(__name__)


class Handler(Protocol):
    """``async def handle(session, envelope, event)``: apply the event; never commit."""

    def __call__(self, session: AsyncSession, envelope: Envelope, event: Event) -> Awaitable[None]:
        """Apply one event inside the consumer's transaction."""


class Delivery(NamedTuple):
    """A well-formed message with its decoded event and the handler that will apply it."""

    message: AbstractIncomingMessage
    envelope: Envelope
    event: Event
    handler: Handler


T = TypeVar("T")


class _Stopped(Exception):
    """The consumer stopped while it was holding a message for the database to come back."""


def _is_infrastructure(exc: BaseException) -> bool:
    """A lost, refused or silent database (as opposed to a bug or bad data)."""
    return database_unavailable(exc)


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
        self.db_waits = 0  # tries that found the database away (the message was held)
        self._stop = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set; reconnects with backoff when the broker goes away."""
        self._stop = stop
        while not stop.is_set():
            try:
                await self._session(stop)
                self.backoff.reset()
            except BROKER_ERRORS as exc:
                self.ready.clear()
                delay = self.backoff.next()
                log.warning(
                    "consumer_reconnecting",
                    queue=self.spec.name,
                    error=describe_error(exc),
                    retry_in=round(delay, 2),
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

    async def _prepare(
        self, channel: AbstractChannel, message: AbstractIncomingMessage
    ) -> Delivery | None:
        """Decode a message and find its handler, or park it and return None (both modes)."""
        try:
            envelope = decode(message.body)
            event = envelope.event()
        except MalformedEvent as exc:
            await self._park(channel, message, exc.reason, parking.attempts_of(message))
            return None
        handler = self.handlers.get(envelope.type, self.default_handler)
        if handler is None:
            reason = f"no handler for {envelope.type!r}"
            await self._park(channel, message, reason, parking.attempts_of(message))
            return None
        return Delivery(message, envelope, event, handler)

    async def _hold(self, channel: AbstractChannel, work: Callable[[], Awaitable[T]]) -> T:
        """Run ``work``; while the database is away, keep the message(s) and run it again.

        Raises what ``work`` raised for any other failure, and :class:`_Stopped` when the
        consumer stops (or the channel closes) during an outage.
        """
        while True:
            try:
                return await work()
            except Exception as exc:
                if not _is_infrastructure(exc):
                    raise
                self.db_waits += 1
                delay = self.db_backoff.next()
                log.warning(
                    "consumer_database_unavailable",
                    queue=self.spec.name,
                    error=describe_error(exc),
                    retry_in=round(delay, 2),
                )
                if await sleep_or_stop(self._stop, delay) or channel.is_closed:
                    raise _Stopped from exc

    async def _process_batch(
        self, channel: AbstractChannel, batch: list[AbstractIncomingMessage]
    ) -> None:
        """Handle several messages in one transaction (see "Batch mode" in the module doc)."""
        started = time.perf_counter()
        ready = [d for d in [await self._prepare(channel, m) for m in batch] if d is not None]
        if not ready:
            return
        try:
            handled = await self._hold(channel, lambda: self.apply_batch(ready))
        except _Stopped:
            # Every lower tag is settled, so this puts back exactly the batch, in order.
            with contextlib.suppress(*BROKER_ERRORS):
                await ready[-1].message.nack(multiple=True, requeue=True)
            return
        except Exception as exc:
            log.warning(
                "consumer_batch_failed",
                queue=self.spec.name,
                size=len(ready),
                error=describe_error(exc),
            )
            self.fallbacks += 1
            for delivery in ready:
                await self._process(channel, delivery.message)
            return
        self.db_backoff.reset()
        # Earlier batches and the messages parked above are settled already, so this one
        # frame acks exactly this batch.
        await ready[-1].message.ack(multiple=True)
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

    async def apply_batch(self, ready: Sequence[Delivery]) -> int:
        """Inbox rows and handler effects of a batch in one transaction; return how many ran.

        The public hook of batch mode: a subclass may apply a batch its own way as long as it
        keeps this contract (one transaction, a duplicate id skipped, raise to fall back to
        one message at a time).
        """
        async with self.sessionmaker() as session, session.begin():
            result = await session.execute(
                pg_insert(self.inbox)
                .values([{"event_id": d.envelope.id, "queue": self.spec.name} for d in ready])
                .on_conflict_do_nothing()
                .returning(self.inbox.c.event_id)
            )
            fresh = set(result.scalars())
            handled = 0
            for delivery in ready:
                if delivery.envelope.id not in fresh:
                    continue  # seen before, or a second copy earlier in this batch
                fresh.discard(delivery.envelope.id)
                await delivery.handler(session, delivery.envelope, delivery.event)
                handled += 1
            return handled

    async def _apply_one(self, delivery: Delivery) -> bool:
        """Inbox row and handler effect in one transaction; return True for a duplicate."""
        async with self.sessionmaker() as session, session.begin():
            fresh = await session.execute(
                pg_insert(self.inbox)
                .values(event_id=delivery.envelope.id, queue=self.spec.name)
                .on_conflict_do_nothing()
                .returning(self.inbox.c.event_id)
            )
            if fresh.first() is None:
                return True
            await delivery.handler(session, delivery.envelope, delivery.event)
            return False

    async def _queue(self, channel: AbstractChannel) -> AbstractQueue:
        if self.declare:
            exchange = await declare_exchange(channel, self.exchange)
            return await declare_queue(channel, exchange, self.spec)
        return await channel.get_queue(self.spec.name, ensure=False)

    async def _process(self, channel: AbstractChannel, message: AbstractIncomingMessage) -> None:
        started = time.perf_counter()
        delivery = await self._prepare(channel, message)
        if delivery is None:
            return
        envelope = delivery.envelope
        try:
            duplicate = await self._hold(channel, lambda: self._apply_one(delivery))
        except _Stopped:
            with contextlib.suppress(*BROKER_ERRORS):
                await message.nack(requeue=True)  # stopping during an outage: back, once
            return
        except Exception as exc:  # the handler's failure (or bad data): use up an attempt
            attempts = parking.attempts_of(message) + 1
            error = describe_error(exc)
            if attempts >= self.spec.max_attempts:
                log.error(
                    "consumer_parked",
                    queue=self.spec.name,
                    event_id=str(envelope.id),
                    attempts=attempts,
                    error=error,
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

    async def _retry(
        self, channel: AbstractChannel, message: AbstractIncomingMessage, error: str, attempts: int
    ) -> None:
        await parking.retry(channel, self.spec, message, error, attempts)
        self.retried += 1
        CONSUMED.labels(self.spec.name, "retried").inc()

    async def _park(
        self, channel: AbstractChannel, message: AbstractIncomingMessage, error: str, attempts: int
    ) -> None:
        try:
            await parking.park(channel, self.spec, message, error, attempts)
        except aiormq.exceptions.DeliveryError as exc:
            if isinstance(exc, aiormq.exceptions.PublishError):
                raise  # returned: the DLQ is missing, not full
            # Nacked: the DLQ is at its length limit (reject-publish). Keep the message.
            self.park_refused += 1
            PARK_REFUSED.labels(self.spec.name).inc()
            delay = self.park_backoff.next()
            log.error(
                "consumer_park_refused",
                queue=self.spec.name,
                message_id=message.message_id,
                retry_in=round(delay, 2),
            )
            await asyncio.sleep(delay)
            await message.nack(requeue=True)
            return
        self.park_backoff.reset()
        self.parked += 1
        CONSUMED.labels(self.spec.name, "parked").inc()
