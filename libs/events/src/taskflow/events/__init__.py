"""Taskflow's event bus: contracts, CloudEvents envelope, transactional outbox, relay, consumer.

Import contracts from here or from ``taskflow.events.contracts``::

    from taskflow.events import Envelope, TaskCreated, decode

The runtime parts live in submodules (``taskflow.events.outbox``, ``.relay``, ``.consumer``,
``.topology``, ``.admin``) and are re-exported here when their dependencies import.
"""

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

__all__ = [
    *_contracts_all,
    "CONTENT_TYPE",
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
