"""The CloudEvents 1.0 envelope (structured JSON mode) that every message on the bus uses.

```json
{"specversion": "1.0", "id": "<uuid7>", "source": "taskflow/tasks", "type": "task.created",
 "time": "2026-11-22T10:00:00.123456Z", "subject": "task/<uuid>",
 "datacontenttype": "application/json", "dataschema": "taskflow/task.created/v1",
 "actorid": "<user uuid or null>", "traceparent": "<W3C trace context or null>",
 "requestid": "<the X-Request-ID of the request that caused it, or null>", "data": {...}}
```

``traceparent`` is the CloudEvents distributed-tracing extension attribute; ``requestid`` is
ours. Both are optional (an envelope without them is valid), and the outbox fills them from the
trace context of the work in hand (:mod:`taskflow.common.tracing`): the request's, or the
consumed event's, so one request can be followed through every event it causes.

The envelope is validated on its own (``decode``) before the data is parsed into its contract
(``envelope.event()``), so a consumer can tell "not an envelope" from "unknown type" from "data
does not match", and park each with its reason.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID

import orjson
from pydantic import BaseModel, ConfigDict, ValidationError, field_serializer, field_validator

from taskflow.events.contracts.base import Event, contract_version, event_class
from taskflow.events.errors import MalformedEvent, SchemaMismatch
from taskflow.events.ids import uuid7

CONTENT_TYPE = "application/cloudevents+json"
_DATASCHEMA = re.compile(r"^taskflow/(?P<type>[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+)/v(?P<v>\d+)$")
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


def dataschema_for(event_type: str, version: int) -> str:
    """``taskflow/<type>/v<version>``: the ``dataschema`` of a contract (also its catalog id)."""
    return f"taskflow/{event_type}/v{version}"


def _errors_summary(exc: ValidationError, limit: int = 5) -> str:
    """Where and what failed, without the offending values (they may hold personal data)."""
    parts = []
    for err in exc.errors()[:limit]:
        loc = ".".join(str(p) for p in err["loc"]) or "<root>"
        parts.append(f"{loc}: {err['type']}")
    more = exc.error_count() - limit
    if more > 0:
        parts.append(f"... {more} more")
    return "; ".join(parts)


class Envelope(BaseModel):
    """One event on the wire. Immutable; build it with :meth:`wrap`, read it with :func:`decode`.

    Unknown top-level attributes are kept (CloudEvents extension attributes), so a message
    replayed from the parking queue is not altered.
    """

    model_config = ConfigDict(frozen=True, extra="allow")

    specversion: Literal["1.0"] = "1.0"
    id: UUID
    source: str
    type: str
    time: datetime
    subject: str | None = None
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str
    actorid: UUID | None = None
    traceparent: str | None = None
    requestid: str | None = None
    data: dict[str, Any]

    @field_validator("time")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("time must carry a time zone")
        return value.astimezone(UTC)

    @field_validator("dataschema")
    @classmethod
    def _dataschema_shape(cls, value: str) -> str:
        if not _DATASCHEMA.match(value):
            raise ValueError("dataschema must look like taskflow/<type>/v<version>")
        return value

    @field_validator("traceparent")
    @classmethod
    def _traceparent_shape(cls, value: str | None) -> str | None:
        if value is not None and not _TRACEPARENT.match(value):
            raise ValueError("traceparent must be a W3C trace context")
        return value

    @field_validator("requestid")
    @classmethod
    def _requestid_shape(cls, value: str | None) -> str | None:
        if value is not None and not _REQUEST_ID.match(value):
            raise ValueError("requestid must be 1-128 letters, digits, '.', '_' or '-'")
        return value

    @property
    def trace_id(self) -> str | None:
        """The trace id inside ``traceparent`` (None when the event carries no trace)."""
        return self.traceparent.split("-")[1] if self.traceparent else None

    @field_serializer("time")
    def _time_z(self, value: datetime) -> str:
        return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")

    @classmethod
    def wrap(
        cls,
        event: Event,
        *,
        source: str,
        actor_id: UUID | None,
        traceparent: str | None = None,
        request_id: str | None = None,
        id: UUID | None = None,
        time: datetime | None = None,
    ) -> Envelope:
        """Put ``event`` into a new envelope with a fresh UUIDv7 id and the current UTC time."""
        version = contract_version(event)
        return cls(
            id=id or uuid7(),
            source=source,
            type=event.event_type,
            time=time or datetime.now(UTC),
            subject=event.subject(),
            dataschema=dataschema_for(event.event_type, version),
            actorid=actor_id,
            traceparent=traceparent,
            requestid=request_id,
            data=event.model_dump(mode="json"),
        )

    @property
    def version(self) -> int:
        """The contract version named by ``dataschema``."""
        match = _DATASCHEMA.match(self.dataschema)
        return int(match.group("v")) if match else 1

    @property
    def routing_key(self) -> str:
        """The routing key on the topic exchange: the event type."""
        return self.type

    def event(self) -> Event:
        """Parse ``data`` into its contract class.

        Raises :class:`~taskflow.events.errors.UnknownEventType` when no contract is registered
        for ``(type, version)`` and :class:`~taskflow.events.errors.SchemaMismatch` when the
        data does not validate (both are :class:`MalformedEvent`).
        """
        match = _DATASCHEMA.match(self.dataschema)
        if match is None or match.group("type") != self.type:
            raise SchemaMismatch(f"dataschema {self.dataschema!r} does not name type {self.type!r}")
        cls = event_class(self.type, int(match.group("v")))
        try:
            return cls.model_validate(self.data)
        except ValidationError as exc:
            raise SchemaMismatch(
                f"data does not match {self.dataschema}: {_errors_summary(exc)}"
            ) from None

    def to_dict(self) -> dict[str, Any]:
        """The JSON object (what the outbox stores in its ``envelope`` column)."""
        return self.model_dump(mode="json")

    def to_bytes(self) -> bytes:
        """The message body."""
        return orjson.dumps(self.to_dict())


def decode(body: bytes | str) -> Envelope:
    """Parse a message body into an :class:`Envelope`; raises :class:`MalformedEvent`.

    Only the envelope is checked here; call ``.event()`` for the typed data.
    """
    try:
        raw = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise MalformedEvent("body is not JSON") from None
    if not isinstance(raw, dict):
        raise MalformedEvent("body is not a JSON object")
    try:
        return Envelope.model_validate(raw)
    except ValidationError as exc:
        raise MalformedEvent(f"not a CloudEvents envelope: {_errors_summary(exc)}") from None
