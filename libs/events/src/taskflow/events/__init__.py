"""Taskflow's event bus: contracts, CloudEvents envelope, transactional outbox, relay, consumer.

Import contracts from here or from ``taskflow.events.contracts``::

    from taskflow.events import Envelope, TaskCreated, decode

The runtime parts live in submodules (``.outbox``, ``.relay``, ``.consumer`` with
``.collect`` and ``.delivery``, ``.inbox``, ``.topology``, ``.lifecycle`` for a worker
process's stop signal, pauses and periodic jobs, ``.parking`` for parked messages,
``.tracing`` for the trace context a handler runs in) and are re-exported here: services
import them from ``taskflow.events`` (an import-linter contract holds them to it). The FastAPI
admin router is in ``.admin``; ``.examples`` and ``.catalog`` serve tests and docs.
"""

from taskflow.events.consumer import Consumer, Delivery, Handler
from taskflow.events.contracts import *  # noqa: F403 - the contracts are this package's API
from taskflow.events.contracts import __all__ as _contracts_all
from taskflow.events.envelope import CONTENT_TYPE, Envelope, dataschema_for, decode
from taskflow.events.errors import (
    DuplicateEventType,
    EventError,
    MalformedEvent,
    PublishFailed,
    SchemaMismatch,
    UnknownEventType,
)
from taskflow.events.ids import uuid7
from taskflow.events.inbox import inbox_table
from taskflow.events.lifecycle import (
    BROKER_ERRORS,
    Backoff,
    every,
    install_signal_handlers,
    sleep_or_stop,
)
from taskflow.events.outbox import Outbox, outbox_table, partition_of, purge_published
from taskflow.events.parking import ParkedMessage, list_parked, replay_parked
from taskflow.events.relay import OutboxRelay
from taskflow.events.topology import QueueSpec, declare_topology

__all__ = [
    *_contracts_all,
    "BROKER_ERRORS",
    "CONTENT_TYPE",
    "Backoff",
    "Consumer",
    "Delivery",
    "Handler",
    "Outbox",
    "OutboxRelay",
    "ParkedMessage",
    "QueueSpec",
    "declare_topology",
    "every",
    "inbox_table",
    "install_signal_handlers",
    "list_parked",
    "outbox_table",
    "partition_of",
    "purge_published",
    "replay_parked",
    "sleep_or_stop",
    "DuplicateEventType",
    "Envelope",
    "EventError",
    "MalformedEvent",
    "PublishFailed",
    "SchemaMismatch",
    "UnknownEventType",
    "dataschema_for",
    "decode",
    "uuid7",
]
