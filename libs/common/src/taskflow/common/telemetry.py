"""OpenTelemetry trace export: off unless ``otlp_endpoint`` is set.

We use the OpenTelemetry SDK for the spans and their export (OTLP over HTTP), and its W3C
propagator to read and write ``traceparent``; the trace context a unit of work carries when
export is off is in :mod:`taskflow.common.tracing`.

Spans are made in three places only, where work starts or leaves the process: the HTTP
middleware (one server span per request, named by its route template: raw paths carry ids and,
for the calendar feeds, secrets, which is also why we do not use the ASGI instrumentation), the
events consumer (one consumer span per handled event, child of the event's ``traceparent``)
and the outbox relay (one producer span per published event, child of the same).

Off (the default) means no provider: :func:`tracer` is OpenTelemetry's no-op tracer, no
exporter is built and no export thread is started. The provider is ours, not the process-wide
global, so a process (or a test) can configure it again.
"""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from taskflow.common.logging import get_logger
from taskflow.common.settings import ServiceSettings

log = get_logger(__name__)

_NOOP = trace.NoOpTracerProvider()
_state: dict[str, TracerProvider] = {}


def configure_tracing(
    settings: ServiceSettings, *, exporter: SpanExporter | None = None
) -> TracerProvider | None:
    """Start exporting spans when ``settings.otlp_endpoint`` is set (or an exporter is given).

    Replaces (and shuts down) a provider configured before. Returns the provider, or None
    when tracing stays off.
    """
    shutdown_tracing()
    if exporter is None:
        if not settings.otlp_endpoint:
            return None
        # Imported here: the exporter module is only needed when export is on.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = settings.otlp_endpoint.rstrip("/")
        exporter = OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces", timeout=5)
    provider = TracerProvider(
        resource=Resource.create(
            {
                "service.name": f"taskflow-{settings.service_name}",
                "deployment.environment.name": settings.environment,
            }
        ),
        sampler=ParentBased(TraceIdRatioBased(settings.trace_sample_ratio)),
    )
    provider.add_span_processor(BatchSpanProcessor(exporter))
    _state["provider"] = provider
    log.info("tracing_enabled", exporter=type(exporter).__name__)
    return provider


def shutdown_tracing() -> None:
    """Flush and stop the configured provider, if any (tracing is off afterwards)."""
    provider = _state.pop("provider", None)
    if provider is not None:
        provider.shutdown()


def tracing_enabled() -> bool:
    """True while spans are exported."""
    return "provider" in _state


def tracer() -> trace.Tracer:
    """The tracer of Taskflow's own spans (a no-op tracer while tracing is off)."""
    provider: trace.TracerProvider = _state.get("provider", _NOOP)
    return provider.get_tracer("taskflow")
