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

Each handler runs with its event's trace context bound (:mod:`taskflow.events.tracing`).
:mod:`~taskflow.events.collect` takes the next message or batch off the local queue; retry
and parking copies (and the admin's tools for them) are in :mod:`taskflow.events.parking`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TypeVar

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue
from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from taskflow.common.db import database_unavailable
from taskflow.common.logging import describe_error, get_logger
from taskflow.events import parking
from taskflow.events.collect import collect
from taskflow.events.delivery import Delivery, Handler, Outcome
from taskflow.events.envelope import decode
from taskflow.events.errors import MalformedEvent
from taskflow.events.lifecycle import BROKER_ERRORS, Backoff, sleep_or_stop
from taskflow.events.metrics import CONSUMED, HANDLE_SECONDS, PARK_REFUSED
from taskflow.events.topology import QueueSpec, declare_exchange, declare_queue
from taskflow.events.tracing import handling

__all__ = ["Consumer", "Delivery", "Handler"]

log = get_logger(__name__)

T = TypeVar("T")


class _Stopped(Exception):
    """The consumer stopped while it was holding a message for the database to come back."""


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
                batch = await collect(
                    inbox,
                    stop,
                    closed,
                    batch_size=self.spec.batch_size,
                    batch_wait_ms=self.spec.batch_wait_ms,
                )
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

    async def _queue(self, channel: AbstractChannel) -> AbstractQueue:
        if self.declare:
            exchange = await declare_exchange(channel, self.exchange)
            return await declare_queue(channel, exchange, self.spec)
        return await channel.get_queue(self.spec.name, ensure=False)

    # -- the preamble both paths share --------------------------------------------------

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
                if not database_unavailable(exc):
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

    async def _run(
        self,
        channel: AbstractChannel,
        messages: Sequence[AbstractIncomingMessage],
        work: Callable[[list[Delivery]], Awaitable[T]],
    ) -> Outcome[T] | None:
        """Prepare ``messages`` (parking the malformed) and apply the rest with ``work``.

        The database being away holds them (``_hold``); a stop meanwhile puts them back and
        returns None, as does a unit with nothing well-formed in it. A failure of ``work``
        is returned for the caller's path to settle (retry or park; replay one by one).
        """
        ready = [d for d in [await self._prepare(channel, m) for m in messages] if d]
        if not ready:
            return None
        try:
            result = await self._hold(channel, lambda: work(ready))
        except _Stopped:
            # Every lower tag is settled, so this puts back exactly this unit, in order.
            with contextlib.suppress(*BROKER_ERRORS):
                await ready[-1].message.nack(multiple=len(ready) > 1, requeue=True)
            return None
        except Exception as exc:
            return Outcome(ready, None, exc)
        self.db_backoff.reset()
        return Outcome(ready, result, None)

    def _count(self, started: float, size: int, handled: int) -> None:
        """Counters and metrics of a committed unit of ``size`` messages, ``handled`` fresh."""
        per_message = (time.perf_counter() - started) / size
        seconds = HANDLE_SECONDS.labels(self.spec.name)
        for _ in range(size):
            seconds.observe(per_message)
        duplicates = size - handled
        self.handled += handled
        self.duplicates += duplicates
        if handled:
            CONSUMED.labels(self.spec.name, "handled").inc(handled)
        if duplicates:
            CONSUMED.labels(self.spec.name, "duplicate").inc(duplicates)

    # -- one message --------------------------------------------------------------------

    async def _process(self, channel: AbstractChannel, message: AbstractIncomingMessage) -> None:
        started = time.perf_counter()
        outcome = await self._run(channel, [message], lambda ready: self._apply_one(ready[0]))
        if outcome is None:
            return
        if outcome.error is not None:  # the handler's failure (or bad data): use up an attempt
            envelope = outcome.ready[0].envelope
            attempts = parking.attempts_of(message) + 1
            error = describe_error(outcome.error)
            if attempts >= self.spec.max_attempts:
                log.error(
                    "consumer_parked",
                    queue=self.spec.name,
                    event_id=str(envelope.id),
                    trace_id=envelope.trace_id,
                    attempts=attempts,
                    error=error,
                )
                await self._park(channel, message, error, attempts)
            else:
                await self._retry(channel, message, error, attempts)
            return
        await message.ack()
        self._count(started, 1, 0 if outcome.result else 1)

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
            await self.handle(session, delivery)
            return False

    async def handle(self, session: AsyncSession, delivery: Delivery) -> None:
        """Run one delivery's handler with its event's trace context bound (both modes)."""
        with handling(delivery.envelope, self.spec.name):
            await delivery.handler(session, delivery.envelope, delivery.event)

    # -- a batch ------------------------------------------------------------------------

    async def _process_batch(
        self, channel: AbstractChannel, batch: list[AbstractIncomingMessage]
    ) -> None:
        """Handle several messages in one transaction (see "Batch mode" in the module doc)."""
        started = time.perf_counter()
        outcome = await self._run(channel, batch, self.apply_batch)
        if outcome is None:
            return
        if outcome.error is not None:
            log.warning(
                "consumer_batch_failed",
                queue=self.spec.name,
                size=len(outcome.ready),
                error=describe_error(outcome.error),
            )
            self.fallbacks += 1
            for delivery in outcome.ready:
                await self._process(channel, delivery.message)
            return
        # Earlier batches and the messages parked above are settled already, so this one
        # frame acks exactly this batch.
        await outcome.ready[-1].message.ack(multiple=True)
        self.batches += 1
        self._count(started, len(outcome.ready), outcome.result or 0)

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
                await self.handle(session, delivery)
                handled += 1
            return handled

    # -- settling a failure -------------------------------------------------------------

    async def _retry(
        self, channel: AbstractChannel, message: AbstractIncomingMessage, error: str, attempts: int
    ) -> None:
        await parking.retry(channel, self.spec, message, error, attempts)
        self.retried += 1
        CONSUMED.labels(self.spec.name, "retried").inc()

    async def _park(
        self, channel: AbstractChannel, message: AbstractIncomingMessage, error: str, attempts: int
    ) -> None:
        if await parking.park_or_put_back(
            channel, self.spec, message, error, attempts, self.park_backoff
        ):
            self.parked += 1
            CONSUMED.labels(self.spec.name, "parked").inc()
        else:
            self.park_refused += 1
            PARK_REFUSED.labels(self.spec.name).inc()
