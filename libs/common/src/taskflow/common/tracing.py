"""The trace context of the work in hand: W3C ``traceparent`` and request id, in contextvars.

One request (or one consumed event) is one unit of work. Whoever starts it binds its context
with :func:`bound`: the HTTP middleware from the request's ``traceparent`` and ``X-Request-ID``
headers, the events consumer from the envelope's ``traceparent`` and ``requestid`` attributes.
While it is bound:

- every log line carries ``trace_id`` and ``request_id`` (structlog contextvars);
- the outbox writes :func:`current_traceparent` and :func:`current_request_id` into each event,
  so the events a request causes, and the events those events cause, share its trace id.

A request without a (valid) ``traceparent`` starts a new trace here, as a W3C participant does,
so that its events can still be followed. When OpenTelemetry export is on
(:mod:`taskflow.common.telemetry`), the span in hand is the parent that events name: its trace
id is the same, its span id says which span wrote the event.
"""

from __future__ import annotations

import contextvars
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import structlog
from opentelemetry import trace

_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_INVALID_TRACE = "0" * 32
_INVALID_SPAN = "0" * 16


@dataclass(frozen=True, slots=True)
class TraceContext:
    """The trace (``traceparent``) and request id of one unit of work."""

    traceparent: str | None
    request_id: str | None

    @property
    def trace_id(self) -> str | None:
        """The 32 hex digits of the trace id, or None."""
        return trace_id_of(self.traceparent)


_current: contextvars.ContextVar[TraceContext | None] = contextvars.ContextVar(
    "taskflow_trace_context", default=None
)


def parse_traceparent(value: str | None) -> str | None:
    """``value`` as a valid, lower-case W3C ``traceparent``, or None (all-zero ids are invalid).

    Version ``ff`` is forbidden by the spec; other versions are read as version 00.
    """
    if not value:
        return None
    match = _TRACEPARENT.match(value.strip().lower())
    if match is None:
        return None
    version, trace_id, span_id, _flags = match.groups()
    if version == "ff" or trace_id == _INVALID_TRACE or span_id == _INVALID_SPAN:
        return None
    return match.group(0)


def trace_id_of(traceparent: str | None) -> str | None:
    """The trace id inside a ``traceparent`` (None when there is none)."""
    parsed = parse_traceparent(traceparent)
    return parsed.split("-")[1] if parsed else None


def new_traceparent() -> str:
    """A new trace (random ids), not sampled: for work that arrived without a context."""
    return f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-00"


def span_traceparent() -> str | None:
    """The OpenTelemetry span in hand as a ``traceparent`` (None when export is off)."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


def current() -> TraceContext | None:
    """The context bound for the work in hand (None outside a request or an event)."""
    return _current.get()


def current_traceparent() -> str | None:
    """The ``traceparent`` an event written now carries: the live span's, else the bound one."""
    span = span_traceparent()
    if span is not None:
        return span
    bound_context = _current.get()
    return bound_context.traceparent if bound_context else None


def current_request_id() -> str | None:
    """The request id an event written now carries (the request's, or the event's)."""
    bound_context = _current.get()
    return bound_context.request_id if bound_context else None


@contextmanager
def bound(
    traceparent: str | None, request_id: str | None, **log_fields: object
) -> Iterator[TraceContext]:
    """Bind a trace context for the duration of the block.

    Its trace id and request id (and ``log_fields``) go into the log context too.
    """
    context = TraceContext(parse_traceparent(traceparent), request_id)
    token = _current.set(context)
    log_tokens = structlog.contextvars.bind_contextvars(
        trace_id=context.trace_id, request_id=request_id, **log_fields
    )
    try:
        yield context
    finally:
        structlog.contextvars.reset_contextvars(**log_tokens)
        _current.reset(token)
