"""The trace context a consumed event's handler runs in.

:func:`handling` binds the event's ``traceparent`` and ``requestid`` (and its id and type) for
the handler's duration: every log line the handler writes carries them, and every event it
writes to an outbox carries the same trace and request id on (``Outbox.add_many`` reads them).
So one request can be followed, by its trace id, through each event it caused and each event
those caused. With trace export on (:mod:`taskflow.common.telemetry`) the handler runs in a
consumer span, child of the event's ``traceparent``, and the events it writes name that span.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from opentelemetry import trace
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from taskflow.common.telemetry import tracer, tracing_enabled
from taskflow.common.tracing import TraceContext, bound, span_traceparent
from taskflow.events.envelope import Envelope

_PROPAGATOR = TraceContextTextMapPropagator()


@contextmanager
def handling(envelope: Envelope, queue: str) -> Iterator[TraceContext]:
    """Bind ``envelope``'s trace context (and a consumer span when export is on)."""
    with ExitStack() as stack:
        traceparent = envelope.traceparent
        if tracing_enabled():
            parent = _PROPAGATOR.extract({"traceparent": traceparent}) if traceparent else None
            span = tracer().start_span(
                f"{queue} process",
                context=parent,
                kind=SpanKind.CONSUMER,
                attributes={
                    "messaging.system": "rabbitmq",
                    "messaging.operation.type": "process",
                    "messaging.destination.name": queue,
                    "messaging.message.id": str(envelope.id),
                    "cloudevents.event_type": envelope.type,
                },
            )
            stack.enter_context(trace.use_span(span, end_on_exit=True))
            traceparent = span_traceparent() or traceparent
        yield stack.enter_context(
            bound(
                traceparent,
                envelope.requestid,
                event_id=str(envelope.id),
                event_type=envelope.type,
            )
        )
