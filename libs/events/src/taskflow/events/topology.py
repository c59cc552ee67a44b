"""RabbitMQ topology: the topic exchange, each consumer's queue, its retry queues and its DLQ.

For a :class:`QueueSpec` named ``notifications.events``:

* ``notifications.events``: durable **quorum** queue bound to the spec's routing keys on the
  ``taskflow.events`` topic exchange, with single active consumer (so per-aggregate order
  survives several replicas) and a delivery limit that dead-letters to the DLQ (a safety net
  for a message that crashes the process before it can be retried or parked);
* ``notifications.events.retry.<n>``: one durable queue per retry delay, with
  ``x-message-ttl = retry_delays_ms[n]`` that dead-letters back to ``notifications.events``
  through the default exchange. A failed message is published to the retry queue of its
  attempt, so delays grow (1 s, 5 s, 30 s, ...) without a delayed-message plugin, and a
  retry never reaches the other consumers of the topic exchange;
* ``notifications.events.dlq``: durable queue where messages are parked with ``x-error``, at
  most ``dlq_max_length`` of them, with ``x-overflow: reject-publish``: a park beyond the limit is
  refused (nacked) instead of pushing out the oldest parked message, so the consumer keeps the
  message and says so (``taskflow_events_park_refused_total``) rather than losing one.

The main queue dead-letters (delivery limit) with ``x-dead-letter-strategy: at-least-once``
(which RabbitMQ allows only with ``x-overflow: reject-publish``): the broker keeps a
dead-lettered message until the DLQ confirmed it, where the default (at-most-once) dropped it
silently when the DLQ was full.

Existing queues: RabbitMQ refuses to redeclare a queue with other arguments (406
PRECONDITION_FAILED). A queue declared before these arguments existed is therefore kept as it is
(declared passively), a warning is logged and ``taskflow_events_queue_outdated`` is set; the
operator gives it the same behaviour with a policy, or drains and deletes it so that the next
start declares it anew (docs/reliability-broker.md, "Migrating existing queues").

Retry and parking queues are classic (version 2): they only hold messages, and a classic queue
keeps a requeued message at its place, which :func:`~taskflow.events.consumer.list_parked`
relies on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import aio_pika
import aiormq
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue

from taskflow.common.logging import describe_error, get_logger
from taskflow.events.metrics import QUEUE_OUTDATED

log = get_logger(__name__)

DEFAULT_EXCHANGE = "taskflow.events"
#: Parked messages a DLQ holds before it refuses more (each is a failure someone must look at).
DEFAULT_DLQ_MAX_LENGTH = 1_000_000  # as the taskflow-parking-bounded policy


@dataclass(frozen=True)
class QueueSpec:
    """One consumer queue: its bindings and its retry policy.

    ``max_attempts`` counts handler runs: after that many failures the message is parked.
    ``retry_delays_ms[i]`` is the wait before attempt ``i + 2`` (the last one repeats).
    ``prefetch`` bounds unacknowledged messages in flight to this consumer.
    ``dlq_max_length`` bounds the parking queue (beyond it a park is refused, never dropped).

    ``batch_size > 1`` turns on batch mode in :class:`~taskflow.events.consumer.Consumer`: up
    to that many delivered messages are handled in one transaction (one commit instead of one
    per message), waiting at most ``batch_wait_ms`` for more once one has arrived. ``prefetch``
    must be at least ``batch_size`` (the broker only delivers that many unacknowledged).
    """

    name: str
    bindings: tuple[str, ...]
    max_attempts: int = 5
    retry_delays_ms: tuple[int, ...] = (1_000, 5_000, 30_000, 120_000)
    prefetch: int = 32
    single_active_consumer: bool = True
    extra_arguments: dict[str, Any] = field(default_factory=dict)
    batch_size: int = 1
    batch_wait_ms: int = 20
    dlq_max_length: int = DEFAULT_DLQ_MAX_LENGTH

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if not self.retry_delays_ms or any(d <= 0 for d in self.retry_delays_ms):
            raise ValueError("retry_delays_ms needs at least one positive delay")
        if self.batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if self.batch_wait_ms < 0:
            raise ValueError("batch_wait_ms must not be negative")
        if self.prefetch < self.batch_size:
            raise ValueError("prefetch must be at least batch_size")
        if self.dlq_max_length < 1:
            raise ValueError("dlq_max_length must be at least 1")

    @property
    def dlq(self) -> str:
        """Name of the parking queue."""
        return f"{self.name}.dlq"

    def retry_queue(self, failures: int) -> str:
        """Retry queue used after the ``failures``-th failure (1-based)."""
        index = min(failures, len(self.retry_delays_ms)) - 1
        return f"{self.name}.retry.{index}"

    @property
    def retry_queues(self) -> list[tuple[str, int]]:
        """``(name, ttl_ms)`` of every retry queue."""
        return [(f"{self.name}.retry.{i}", d) for i, d in enumerate(self.retry_delays_ms)]

    @property
    def delivery_limit(self) -> int:
        """Quorum ``x-delivery-limit``: generous, only for messages that kill the consumer."""
        return max(20, self.max_attempts * 4)


def queue_arguments(spec: QueueSpec) -> dict[str, Any]:
    """Arguments of the main queue (declare with exactly these, or RabbitMQ refuses)."""
    args: dict[str, Any] = {
        "x-queue-type": "quorum",
        "x-delivery-limit": spec.delivery_limit,
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": spec.dlq,
        # Dead-letter at least once: the broker keeps the message until the DLQ confirmed it.
        # RabbitMQ accepts that strategy only with reject-publish overflow.
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    }
    if spec.single_active_consumer:
        args["x-single-active-consumer"] = True
    args.update(spec.extra_arguments)
    return args


def dlq_arguments(spec: QueueSpec) -> dict[str, Any]:
    """Arguments of the parking queue: bounded, and refusing (not dropping) beyond the bound."""
    return {
        "x-queue-version": 2,
        "x-max-length": spec.dlq_max_length,
        "x-overflow": "reject-publish",
    }


async def _declare(channel: AbstractChannel, name: str, arguments: dict[str, Any]) -> AbstractQueue:
    """Declare ``name`` with ``arguments``; keep an existing queue declared with other ones.

    The broker closes the channel on the mismatch (406): it is reopened and the queue declared
    passively, so a deployment whose queues predate an argument keeps running (see the module
    docstring for the migration).
    """
    try:
        queue = await channel.declare_queue(name, durable=True, arguments=arguments)
    except aiormq.exceptions.ChannelPreconditionFailed as exc:
        # Kept as it is: the policy in docs/reliability-broker.md migrates it.
        log.warning("queue_outdated_kept", queue=name, error=describe_error(exc))
        QUEUE_OUTDATED.labels(name).set(1)
        await channel.reopen()
        return await channel.declare_queue(name, passive=True)
    QUEUE_OUTDATED.labels(name).set(0)
    return queue


async def declare_exchange(channel: AbstractChannel, exchange: str) -> AbstractExchange:
    """The durable topic exchange (idempotent)."""
    return await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)


async def declare_queue(
    channel: AbstractChannel, exchange: AbstractExchange, spec: QueueSpec
) -> AbstractQueue:
    """Declare one spec's queue, retry queues and DLQ, and bind the queue; return the queue."""
    await _declare(channel, spec.dlq, dlq_arguments(spec))
    for name, ttl in spec.retry_queues:
        await channel.declare_queue(
            name,
            durable=True,
            arguments={
                "x-queue-version": 2,
                "x-message-ttl": ttl,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": spec.name,
            },
        )
    queue = await _declare(channel, spec.name, queue_arguments(spec))
    for key in spec.bindings:
        await queue.bind(exchange, routing_key=key)
    return queue


async def declare_topology(
    channel: AbstractChannel, exchange: str, specs: list[QueueSpec] | tuple[QueueSpec, ...]
) -> AbstractExchange:
    """Declare the exchange and every spec's queues (safe to run at every start)."""
    ex = await declare_exchange(channel, exchange)
    for spec in specs:
        await declare_queue(channel, ex, spec)
    return ex
