"""Taskflow's event bus: contracts, CloudEvents envelope, transactional outbox, relay, consumer.

Import contracts from here or from ``taskflow.events.contracts``::

    from taskflow.events import Envelope, TaskCreated, decode

The runtime parts live in submodules (``taskflow.events.outbox``, ``.relay``, ``.consumer``,
``.topology``) and are re-exported here; the FastAPI admin router is in ``.admin``.
"""

from taskflow.events.consumer import (
    Consumer,
    Handler,
    ParkedMessage,
    inbox_table,
    install_signal_handlers,
    list_parked,
    replay_parked,
)
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
from taskflow.events.outbox import Outbox, outbox_table, partition_of
from taskflow.events.relay import Backoff, OutboxRelay
from taskflow.events.topology import QueueSpec, declare_topology

__all__ = [
    *_contracts_all,
    "CONTENT_TYPE",
    "Backoff",
    "Consumer",
    "Handler",
    "Outbox",
    "OutboxRelay",
    "ParkedMessage",
    "QueueSpec",
    "declare_topology",
    "inbox_table",
    "install_signal_handlers",
    "list_parked",
    "outbox_table",
    "partition_of",
    "replay_parked",
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
