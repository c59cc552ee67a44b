"""The outbox relay: publishes committed outbox rows to RabbitMQ and marks them sent.

How it keeps its promises:

* **Nothing lost.** A row is marked ``published_at`` only after the broker confirmed it
  (publisher confirms) *and* did not return it as unroutable (``mandatory=True``). Anything
  else (nack, return, timeout, lost connection) leaves the row unpublished with ``attempts``
  and ``last_error`` updated, and it is sent again later. Delivery is therefore at-least-once;
  consumers deduplicate by event id (their inbox).
* **Per-aggregate order, with several relays.** Rows carry ``partition = crc32(aggregate) % N``.
  In one transaction a relay takes the partitions that have pending rows and whose
  ``pg_try_advisory_xact_lock`` it wins, reads their oldest rows in ``id`` order
  (``FOR UPDATE SKIP LOCKED``), publishes them on one channel (AMQP keeps a channel's publish
  order), waits for the confirms, marks them and commits, which releases the partitions. Another
  relay can take a partition only after that commit, and then sees the marks. When a row fails,
  the later rows of the same aggregate in the batch are not marked either (even if confirmed),
  so they are re-sent after it: the last message a consumer receives for an aggregate is always
  its latest event (projections also use ``task.version``).
* **Unroutable rows back off.** A row the broker returned (no queue bound to its routing key)
  is held back by this relay for ``unroutable_base * 2**(attempts-1)`` seconds (capped by
  ``unroutable_cap``), with the later rows of its aggregate, instead of being sent again in
  every batch; ``taskflow_outbox_unroutable_rows`` says how many are held (alert when > 0) and
  ``taskflow_outbox_publish_failures_total{reason="unroutable"}`` counts the returns. The
  delay grows with the row's stored ``attempts``, so a restarted relay does not start over.
* **Broker away.** Connection errors and publish timeouts close the connection; the relay waits
  with exponential backoff and full jitter (bounded), reconnects by itself and carries on from
  the unpublished rows. A stalled connection is caught by ``publish_timeout``.
* **Wake-up.** A dedicated asyncpg connection LISTENs on the outbox channel (``pg_notify`` is
  delivered at commit); the relay also polls every ``poll_interval`` in case a notification is
  lost (listener reconnecting, relay restarted). A partial batch took everything pending in
  its partitions, so the relay then waits for the next notification rather than running an
  empty batch; batches that follow one another closely are paced (``min_batch_interval``).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import aio_pika
import asyncpg
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractExchange
from sqlalchemy import (
    BigInteger,
    Table,
    any_,
    bindparam,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from taskflow.common.logging import describe_error, get_logger
from taskflow.events.lifecycle import BROKER_ERRORS, Backoff, sleep_or_stop
from taskflow.events.metrics import (
    RELAY_CONNECTED,
    RELAY_FAILURES,
    RELAY_HELD,
    RELAY_LAG,
    RELAY_OLDEST,
    RELAY_PUBLISHED,
)
from taskflow.events.outbox import DEFAULT_PARTITIONS, default_channel
from taskflow.events.publishing import is_broker_error, publish_all, settle
from taskflow.events.relay_queries import asyncpg_dsn, claim_statement, fetch_statement, lock_key

log = get_logger(__name__)


class OutboxRelay:
    """Publishes one outbox table to a topic exchange; see the module docstring.

    ``run(stop)`` is the worker loop; ``publish_batch()`` does one round (tests, commands).
    ``max_partitions`` caps how many partitions one batch takes (None: all it can win), so that
    several relays share the load instead of one taking every partition. A notification that
    comes less than ``min_batch_interval`` seconds after the last batch began waits for the
    rest of it, so that rows committed close together share a batch (a quiet relay, or one
    draining a backlog, waits nothing).
    """

    def __init__(
        self,
        engine: AsyncEngine,
        table: Table,
        amqp_url: str,
        exchange: str = "taskflow.events",
        *,
        notify_channel: str | None = None,
        partitions: int = DEFAULT_PARTITIONS,
        batch_size: int = 500,
        max_partitions: int | None = None,
        poll_interval: float = 1.0,
        publish_timeout: float = 10.0,
        connect_timeout: float = 5.0,
        backoff: Backoff | None = None,
        declare_exchange: bool = True,
        name: str | None = None,
        unroutable_base: float = 1.0,
        unroutable_cap: float = 300.0,
        min_batch_interval: float = 0.05,
    ) -> None:
        self.engine = engine
        self.table = table
        self.amqp_url = amqp_url
        self.exchange_name = exchange
        self.notify_channel = notify_channel or default_channel(table)
        self.partitions = partitions
        self.batch_size = batch_size
        self.max_partitions = max_partitions or partitions
        self.poll_interval = poll_interval
        self.publish_timeout = publish_timeout
        self.connect_timeout = connect_timeout
        self.backoff = backoff or Backoff()
        self.declare_exchange = declare_exchange
        self.name = name or table.fullname
        self.unroutable_base = unroutable_base
        self.unroutable_cap = unroutable_cap
        self.min_batch_interval = min_batch_interval
        #: Row id -> monotonic time before which an unroutable row is not sent again.
        self._held: dict[int, float] = {}
        self._lock_key = lock_key(table)
        self._claim_sql = claim_statement(table)
        self._fetch_sql = fetch_statement(table)
        self._connection: AbstractConnection | None = None
        self._channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._wake = asyncio.Event()
        #: Set while the LISTEN connection is up (cleared when it is lost): a caller that
        #: must know notifications reach the relay (a health check, a test) waits for it.
        self.listening = asyncio.Event()
        #: Set while the loop waits for a notification or the next poll (nothing in hand).
        self.idle = asyncio.Event()
        self.published_total = 0
        #: Whether the last batch may have left rows behind (it was full, or it claimed as many
        #: partitions as it may): then the loop goes again at once instead of waiting.
        self._more = False

    # -- broker -------------------------------------------------------------------------------

    async def _ensure_exchange(self) -> AbstractExchange:
        if self._exchange is not None and self._channel is not None and not self._channel.is_closed:
            return self._exchange
        await self.close_broker()
        connection = await aio_pika.connect(self.amqp_url, timeout=self.connect_timeout)
        try:
            channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
            if self.declare_exchange:
                exchange = await channel.declare_exchange(
                    self.exchange_name,
                    aio_pika.ExchangeType.TOPIC,
                    durable=True,
                    timeout=self.connect_timeout,
                )
            else:
                exchange = await channel.get_exchange(self.exchange_name, ensure=False)
        except BaseException:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), 2)
            raise
        self._connection, self._channel, self._exchange = connection, channel, exchange
        RELAY_CONNECTED.labels(self.name).set(1)
        log.info("relay_connected", relay=self.name)
        return exchange

    async def close_broker(self) -> None:
        """Drop the broker connection (bounded: a stalled peer must not hang the relay)."""
        connection, self._connection, self._channel, self._exchange = (
            self._connection,
            None,
            None,
            None,
        )
        RELAY_CONNECTED.labels(self.name).set(0)
        if connection is not None:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(connection.close(), timeout=2)

    # -- one batch ----------------------------------------------------------------------------

    async def _claim_partitions(self, conn: AsyncConnection) -> list[int]:
        # One round trip. Every partition is probed with EXISTS on the partial index (a few
        # index pages each) instead of ``SELECT DISTINCT partition`` over every pending row,
        # which grew with the backlog. ``OFFSET 0`` keeps the probe below the lock in the plan,
        # so a lock is only tried on a partition that has work. The order is shuffled so that
        # relays start at different partitions and share the load; LIMIT stops the scan once
        # enough locks are won, so no lock is taken and left unused.
        order = list(range(self.partitions))
        random.shuffle(order)
        won = await conn.execute(
            self._claim_sql,
            {"parts": order, "key": self._lock_key, "cap": self.max_partitions},
        )
        return [int(p) for p in won.scalars()]

    async def publish_batch(self) -> int:
        """Publish one batch; return how many rows were confirmed and marked sent.

        Raises on broker or database errors (after recording the failure on the rows): the
        caller backs off. Returns 0 when there is nothing to do (or other relays hold it all).
        """
        t = self.table
        self._more = False
        async with self.engine.begin() as conn:
            parts = await self._claim_partitions(conn)
            if not parts:
                RELAY_OLDEST.labels(self.name).set(0)
                return 0
            rows = (
                await conn.execute(self._fetch_sql, {"parts": parts, "n": self.batch_size})
            ).all()
            if not rows:
                return 0
            self._more = len(rows) >= self.batch_size or len(parts) >= self.max_partitions
            rows = self._not_held(rows)
            if not rows:
                return 0
            now = datetime.now(UTC)
            RELAY_OLDEST.labels(self.name).set((now - rows[0].created_at).total_seconds())
            connect_error: BaseException | None = None
            sent: list[int] = []
            failed: list[int] = []
            results: list[object] = []
            try:
                exchange = await self._ensure_exchange()
            except BROKER_ERRORS as exc:
                RELAY_FAILURES.labels(self.name, "connect").inc()
                await self._record_failure(
                    conn, [r.id for r in rows], f"connect: {describe_error(exc)}"
                )
                connect_error = exc
            else:
                results = await publish_all(exchange, rows, self.publish_timeout)
                sent, failed, errors = settle(self.name, rows, results)
                for row, result in zip(rows, results, strict=True):
                    if isinstance(result, aio_pika.exceptions.PublishError):
                        self._hold(row)
                for row_id in sent:
                    self._held.pop(row_id, None)
                if sent:
                    # One statement whatever the batch size (one array parameter, so the
                    # prepared statement is reused instead of one per distinct row count).
                    await conn.execute(
                        update(t)
                        .where(t.c.id == any_(bindparam("ids", type_=ARRAY(BigInteger))))
                        .values(published_at=text("now()")),
                        {"ids": sent},
                    )
                for error, ids in errors.items():
                    await self._record_failure(conn, ids, error)
        if connect_error is not None:  # raised after the commit, which keeps the record
            raise ConnectionError(f"broker unreachable: {describe_error(connect_error)}")
        # Committed: the partitions are released and the marks are visible to other relays.
        done = datetime.now(UTC)
        lag = RELAY_LAG.labels(self.name)
        by_id = {r.id: r for r in rows}
        for row_id in sent:
            lag.observe((done - by_id[row_id].created_at).total_seconds())
        RELAY_PUBLISHED.labels(self.name).inc(len(sent))
        self.published_total += len(sent)
        if failed and any(isinstance(r, BaseException) and is_broker_error(r) for r in results):
            await self.close_broker()
            raise ConnectionError(f"{len(failed)} of {len(rows)} rows not confirmed")
        return len(sent)

    def _not_held(self, rows: Sequence[Any]) -> list[Any]:
        """The rows to publish now: not held as unroutable, nor behind a held row of theirs."""
        clock = asyncio.get_running_loop().time()
        # Forget holds long past (the row was sent meanwhile, maybe by another relay).
        for row_id in [i for i, until in self._held.items() if until < clock - 600]:
            del self._held[row_id]
        blocked: set[str] = set()
        kept: list[Any] = []
        for row in rows:
            if row.aggregate_id in blocked:
                continue
            if self._held.get(row.id, 0.0) > clock:
                blocked.add(row.aggregate_id)
                continue
            kept.append(row)
        RELAY_HELD.labels(self.name).set(len(self._held))
        return kept

    def _hold(self, row: Any) -> None:
        """Hold an unroutable row back, longer each time it comes back (its ``attempts``)."""
        failures = int(getattr(row, "attempts", 0) or 0) + 1
        delay = min(self.unroutable_cap, self.unroutable_base * 2 ** min(failures - 1, 30))
        self._held[row.id] = asyncio.get_running_loop().time() + delay
        RELAY_HELD.labels(self.name).set(len(self._held))

    async def _record_failure(self, conn: AsyncConnection, ids: Sequence[int], error: str) -> None:
        t = self.table
        await conn.execute(
            update(t)
            .where(t.c.id == any_(bindparam("ids", type_=ARRAY(BigInteger))))
            .values(attempts=t.c.attempts + 1, last_error=error[:1000]),
            {"ids": list(ids)},
        )

    # -- the loop -----------------------------------------------------------------------------

    async def _listen(self, stop: asyncio.Event) -> None:
        """Keep a LISTEN connection open; every notification wakes the publishing loop."""
        backoff = Backoff(base=0.5, cap=10)
        while not stop.is_set():
            conn: asyncpg.Connection | None = None
            lost = asyncio.Event()
            try:
                conn = await asyncpg.connect(asyncpg_dsn(self.engine), timeout=10)
                await conn.add_listener(self.notify_channel, lambda *_: self._wake.set())
                conn.add_termination_listener(lambda _c, lost=lost: lost.set())
                backoff.reset()
                self.listening.set()
                self._wake.set()  # catch up on whatever was committed while we were away
                stop_wait = asyncio.ensure_future(stop.wait())
                lost_wait = asyncio.ensure_future(lost.wait())
                await asyncio.wait({stop_wait, lost_wait}, return_when=asyncio.FIRST_COMPLETED)
                stop_wait.cancel()
                lost_wait.cancel()
            except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
                log.warning("relay_listen_failed", relay=self.name, error=describe_error(exc))
            finally:
                self.listening.clear()
                if conn is not None and not conn.is_closed():
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(conn.close(), 2)
            if not stop.is_set():
                await sleep_or_stop(stop, backoff.next())

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until ``stop`` is set; a batch in flight is finished (confirmed) first."""
        listener = asyncio.create_task(self._listen(stop), name=f"relay-listen-{self.name}")
        try:
            loop = asyncio.get_running_loop()
            while not stop.is_set():
                self._wake.clear()
                started = loop.time()
                try:
                    count = await self.publish_batch()
                except Exception as exc:
                    delay = self.backoff.next()
                    log.warning(
                        "relay_batch_failed",
                        relay=self.name,
                        error=describe_error(exc),
                        retry_in=round(delay, 2),
                    )
                    await self.close_broker()
                    await sleep_or_stop(stop, delay)
                    continue
                self.backoff.reset()
                if count > 0 and self._more:
                    continue  # rows may be left behind: go again at once
                # A partial batch took every pending row of every partition it could claim.
                # Rows committed since (or held by another relay until its commit) have
                # notified ``_wake``, which was cleared before the batch, so the wait below
                # returns at once for them; waiting here instead of running a second, empty
                # batch saves a transaction per wake-up when events come one at a time.
                wake = asyncio.ensure_future(self._wake.wait())
                stopped = asyncio.ensure_future(stop.wait())
                self.idle.set()
                try:
                    await asyncio.wait(
                        {wake, stopped},
                        timeout=self.poll_interval,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                finally:
                    self.idle.clear()
                    wake.cancel()
                    stopped.cancel()
                # Woken soon after the last batch began: let the rows of the next few
                # milliseconds join this one. At tens of events a second, each event had a
                # batch (a transaction and a confirm) of its own; a quiet system waits nothing.
                pause = started + self.min_batch_interval - loop.time()
                if pause > 0 and self._wake.is_set():
                    await sleep_or_stop(stop, pause)
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
            await self.close_broker()

    async def pending(self) -> int:
        """How many rows are not published yet (for health checks and tests)."""
        async with self.engine.connect() as conn:
            t = self.table
            result = await conn.execute(
                select(text("count(*)")).select_from(t).where(t.c.published_at.is_(None))
            )
            return int(result.scalar_one())
