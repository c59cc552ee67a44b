"""The base of every event contract, the ``(type, version)`` registry and ``FieldChange``.

An event is a fact in the past tense, defined once here and imported by its producer and by
every consumer (no copies per service). Each class is one ``(event_type, version)``; a breaking
change is a new class with ``version = 2`` published beside the old one until consumers move.

Two meanings of "version": the class variable ``version`` is the *contract* version, while
``project.updated``, ``comment.edited`` and ``milestone.updated`` also carry a data field
``version`` (the resource's optimistic-concurrency version, like ``task.version``). On those
instances ``event.version`` is the resource version; code that wants the contract version uses
:func:`contract_version` (or ``type(event).version``), as the envelope does.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, JsonValue, field_validator
from pydantic_core import to_jsonable_python

from taskflow.events.errors import DuplicateEventType, UnknownEventType

_REGISTRY: dict[tuple[str, int], type[Event]] = {}


class Event(BaseModel):
    """Base of all event contracts: immutable, and strict about unknown fields.

    ``extra="forbid"`` makes a producer/consumer mismatch fail loudly (the message is parked)
    instead of silently dropping a field. Subclasses that set ``event_type`` are registered.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Routing key and CloudEvents ``type``, e.g. ``"task.created"``.
    event_type: ClassVar[str]
    #: Contract version; ``dataschema`` is ``taskflow/<event_type>/v<version>``.
    version: ClassVar[int] = 1
    #: Data fields holding secrets (one-time links): the audit log redacts them, logs never
    #: print them.
    sensitive_fields: ClassVar[frozenset[str]] = frozenset()
    #: Whether every member of the event's project may read its data, so that live boards
    #: and outgoing webhooks may pass it on. False for events only project admins may see
    #: (invitations: they name addresses that have no account).
    members_may_see: ClassVar[bool] = True

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """Register concrete contracts (those that declare ``event_type`` themselves)."""
        super().__pydantic_init_subclass__(**kwargs)
        if "event_type" not in cls.__dict__:
            return  # an abstract family base such as TaskEvent
        key = (cls.event_type, contract_version(cls))
        existing = _REGISTRY.get(key)
        if existing is not None and existing.__qualname__ != cls.__qualname__:
            raise DuplicateEventType(f"{key} is claimed by {existing!r} and {cls!r}")
        _REGISTRY[key] = cls

    def subject(self) -> str:
        """CloudEvents ``subject``: the resource the event is about, e.g. ``task/<id>``."""
        raise NotImplementedError

    def aggregate_id(self) -> str:
        """Ordering key: events with the same aggregate id are published in commit order."""
        raise NotImplementedError

    def project_ref(self) -> UUID | None:
        """The project the event belongs to, or None (user and notification events)."""
        value = getattr(self, "project_id", None)
        return value if isinstance(value, UUID) else None

    def redacted(self) -> dict[str, Any]:
        """JSON data with every ``sensitive_fields`` value replaced by ``"[redacted]"``."""
        data = self.model_dump(mode="json")
        for name in self.sensitive_fields:
            if name in data and data[name] is not None:
                data[name] = "[redacted]"
        return data


class FieldChange(BaseModel):
    """One changed field: JSON values before and after (UUIDs and datetimes as strings).

    Values are normalised to JSON on construction so that an event equals itself after a
    round trip through the wire.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    before: JsonValue
    after: JsonValue

    @field_validator("before", "after", mode="before")
    @classmethod
    def _to_json(cls, value: Any) -> Any:
        return to_jsonable_python(value)


@contextmanager
def resource_version_field() -> Iterator[None]:
    """Silence pydantic's warning for a data field named ``version`` (see module docstring)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message='Field name "version"', category=UserWarning)
        yield


def contract_version(event: Event | type[Event]) -> int:
    """The contract version of an event or class (never the resource ``version`` field)."""
    cls = event if isinstance(event, type) else type(event)
    for klass in cls.__mro__:
        value = klass.__dict__.get("version")
        if isinstance(value, int):
            return value
    return 1


def event_class(event_type: str, version: int = 1) -> type[Event]:
    """The contract class of ``(event_type, version)``; raises :class:`UnknownEventType`."""
    try:
        return _REGISTRY[(event_type, version)]
    except KeyError:
        raise UnknownEventType(event_type, version) from None


def registered_events() -> list[type[Event]]:
    """Every registered contract, sorted by type then version."""
    return [_REGISTRY[key] for key in sorted(_REGISTRY)]
