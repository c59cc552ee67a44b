"""Batched consumption of `audit.events`: many messages, one transaction, one chain append.

The framework's `Consumer` (taskflow.events) handles one message per transaction, which caps
the log at a few hundred entries a second: every message pays a commit (an fsync) and a turn
on the chain-head lock. `BatchConsumer` keeps every rule of the framework and changes only the
unit of work:

1. it takes up to `batch_size` messages that are already delivered (waiting at most
   `batch_wait` for more once it has one), in delivery order;
2. malformed messages are parked at once by the framework's own `_park`; a message whose data
   cannot be recorded (say a NaN that canonical JSON refuses) goes through the framework's
   per-message path, so it is retried and then parked like any handler failure;
3. the rest go into ONE transaction: their inbox rows (`ON CONFLICT DO NOTHING RETURNING`, so
   duplicates, also inside the batch, drop out), then one `append` of the fresh ones under the
   chain-head lock; then the batch is acked with one `multiple` ack. A crash before the ack
   only causes redeliveries, which the inbox skips;
4. if that transaction fails, nothing of it was written, and the batch is replayed message by
   message through the framework's `_process`: a poison message is isolated, retried and
   parked, the others are recorded.

It subclasses `Consumer` and uses its `_queue`, `_park` and `_process` (see docs/services/
audit.md: a public batch hook in taskflow.events would be the better home for this).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Iterable
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage

from taskflow.audit.chain.append import NewEntry, append
from taskflow.audit.chain.handlers import make_handler
from taskflow.audit.chain.intake import to_entry
from taskflow.audit.pg import driver
from taskflow.events.consumer import Consumer, _attempts
from taskflow.events.envelope import decode
from taskflow.events.errors import MalformedEvent
from taskflow.events.metrics import CONSUMED
from taskflow.events.relay import BROKER_ERRORS

log = logging.getLogger(__name__)


class BatchConsumer(Consumer):
    """A `Consumer` that appends up to `batch_size` events per transaction."""

    def __init__(
        self,
        *args: Any,
        redact_fields: Iterable[str],
        batch_size: int = 500,
        batch_wait: float = 0.05,
        **kwargs: Any,
    ) -> None:
        names = frozenset(redact_fields)
        kwargs.setdefault("handlers", {})
        kwargs.setdefault("default_handler", make_handler(names))
        super().__init__(*args, **kwargs)
        self.redact_fields = names
        self.batch_size = batch_size
        self.batch_wait = batch_wait
        self.batches = 0
        self.fallbacks = 0

    async def _session(self, stop: asyncio.Event) -> None:
        connection = await aio_pika.connect(self.amqp_url, timeout=self.connect_timeout)
        try:
            channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
            await channel.set_qos(prefetch_count=self.spec.prefetch)
            queue = await self._queue(channel)
            inbox: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
            tag = await queue.consume(inbox.put)
            self.ready.set()
            closed = asyncio.Event()
            connection.close_callbacks.add(lambda *_: closed.set())
            while not stop.is_set() and not closed.is_set():
                batch = await self._collect(inbox, stop, closed)
                if batch:
                    await self._process_batch(channel, batch)
            if closed.is_set() and not stop.is_set():
                raise ConnectionError("broker connection closed")
            with contextlib.suppress(*BROKER_ERRORS):
                await asyncio.wait_for(queue.cancel(tag), timeout=5)
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
        """Wait for one message (or stop), then take what else arrives within `batch_wait`."""
        get = asyncio.ensure_future(inbox.get())
        waits = {get, asyncio.ensure_future(stop.wait()), asyncio.ensure_future(closed.wait())}
        done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        if get not in done:
            return []
        batch = [get.result()]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.batch_wait
        while len(batch) < self.batch_size:
            try:
                batch.append(inbox.get_nowait())
                continue
            except asyncio.QueueEmpty:
                pass
            remaining = deadline - loop.time()
            if remaining <= 0 or stop.is_set():
                break
            more = asyncio.ensure_future(inbox.get())
            await asyncio.wait({more}, timeout=remaining)
            if more.done() or not more.cancel():
                batch.append(more.result())
                continue
            # Cancelled before it took a message: asyncio.Queue leaves the item in the queue,
            # so nothing delivered is ever dropped between the broker and a batch (which
            # matters: the batch's `multiple` ack would otherwise ack it unrecorded).
            break
        return batch

    async def _process_batch(
        self, channel: AbstractChannel, batch: list[AbstractIncomingMessage]
    ) -> None:
        ready: list[tuple[AbstractIncomingMessage, NewEntry]] = []
        slow: list[AbstractIncomingMessage] = []
        for message in batch:
            try:
                envelope = decode(message.body)
                event = envelope.event()
            except MalformedEvent as exc:
                await self._park(channel, message, exc.reason, _attempts(message))
                continue
            try:
                ready.append((message, to_entry(envelope, event, self.redact_fields)))
            except (ValueError, TypeError):
                slow.append(message)  # fails again in the framework's path: retried, parked
        # The rare slow ones first: the batch is then acked with ONE `multiple` ack on its
        # highest delivery tag, which must not cover a message still unhandled.
        for message in slow:
            await self._process(channel, message)
        if not ready:
            return
        try:
            written = await self._append(ready)
        except BROKER_ERRORS:
            raise
        except Exception as exc:
            log.warning("audit batch of %d failed (%s); one by one", len(ready), exc)
            self.fallbacks += 1
            for message, _ in ready:
                await self._process(channel, message)
            return
        # Every lower delivery tag is acked already (earlier batches, parked or slow ones,
        # all settled above), so this acks exactly the batch, in one frame.
        await ready[-1][0].ack(multiple=True)
        self.batches += 1
        self.handled += written
        self.duplicates += len(ready) - written
        CONSUMED.labels(self.spec.name, "handled").inc(written)
        if len(ready) > written:
            CONSUMED.labels(self.spec.name, "duplicate").inc(len(ready) - written)

    async def _append(self, ready: list[tuple[AbstractIncomingMessage, NewEntry]]) -> int:
        """Inbox rows and chain entries of a batch in one transaction; entries written."""
        async with self.sessionmaker() as session, session.begin():
            pg = await driver(session)
            # One statement with two array parameters (a multi-row VALUES of 1000 rows would
            # cost SQLAlchemy more to compile than PostgreSQL to run).
            fresh_rows = await pg.fetch(
                "INSERT INTO audit.inbox (event_id, queue) "
                "SELECT e, $2 FROM unnest($1::uuid[]) AS u(e) "
                "ON CONFLICT DO NOTHING RETURNING event_id",
                [e.event_id for _, e in ready],
                self.spec.name,
            )
            fresh = {uuid.UUID(str(r[0])) for r in fresh_rows}
            entries: list[NewEntry] = []
            for _, entry in ready:
                if entry.event_id in fresh:
                    entries.append(entry)
                    fresh.discard(entry.event_id)  # a second copy inside the batch is skipped
            if not entries:
                return 0
            done = await append(session, entries)
            return done.written
