"""The server span of one HTTP request (only while trace export is on).

Named ``<METHOD> <route template>`` and carrying the method, the template and the status,
never the raw path or the query string: paths carry ids and, for the calendar feeds, secrets.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from taskflow.common.telemetry import tracer, tracing_enabled
from taskflow.common.tracing import span_traceparent

_PROPAGATOR = TraceContextTextMapPropagator()


class ServerSpan:
    """A context manager: the request's span, child of its incoming ``traceparent``.

    With export off it does nothing and :attr:`traceparent` stays None.
    """

    def __init__(self, method: str, incoming: str | None) -> None:
        self.method = method
        self.incoming = incoming
        self.traceparent: str | None = None
        self._span: trace.Span | None = None
        self._use: AbstractContextManager[Any] | None = None

    def __enter__(self) -> ServerSpan:
        if not tracing_enabled():
            return self
        parent = _PROPAGATOR.extract({"traceparent": self.incoming}) if self.incoming else None
        self._span = tracer().start_span(
            self.method or "HTTP",
            context=parent,
            kind=SpanKind.SERVER,
            attributes={"http.request.method": self.method},
        )
        self._use = trace.use_span(self._span, end_on_exit=True)
        self._use.__enter__()
        self.traceparent = span_traceparent()
        return self

    def finish(self, template: str, status: int) -> None:
        """Name the span by its route and record the status (the route is known only now)."""
        if self._span is None:
            return
        self._span.update_name(f"{self.method} {template}")
        self._span.set_attribute("http.route", template)
        self._span.set_attribute("http.response.status_code", status)
        if status >= 500:
            self._span.set_status(Status(StatusCode.ERROR))

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._use is not None:
            self._use.__exit__(exc_type, exc, tb)
