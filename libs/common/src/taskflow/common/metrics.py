"""Prometheus metrics per app (own registry, so several apps in one process never clash),
and the endpoint of a worker process.

A worker has no HTTP server of its own, yet it is where the outbox relay, the consumers and the
breakers of the senders keep their metrics (in the default registry: taskflow.events.metrics,
taskflow.common.resilience). `serve_process_metrics` serves that registry on `metrics_port`
(prometheus_client's own server, in a daemon thread) so that Prometheus can scrape it.
"""

from __future__ import annotations

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import start_http_server as _start_http_server
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from taskflow.common.logging import get_logger
from taskflow.common.settings import ServiceSettings

log = get_logger(__name__)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class HttpMetrics:
    """Request count and latency histogram labelled by method, route template and status."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests served.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency in seconds.",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        labels = (method, route, str(status))
        self.requests.labels(*labels).inc()
        self.latency.labels(*labels).observe(seconds)

    def render(self) -> bytes:
        """This app's HTTP metrics, then the process's default registry: what the code under
        the api keeps there (its circuit breakers' `taskflow_breaker_open`, process stats)."""
        return generate_latest(self.registry) + generate_latest(REGISTRY)


def serve_process_metrics(settings: ServiceSettings) -> int | None:
    """Serve the default registry on `settings.host:settings.metrics_port`; the port, or None
    when `metrics_port` is 0 (off: tests, and processes that already serve `/metrics`)."""
    if not settings.metrics_port:
        return None
    server, _thread = _start_http_server(settings.metrics_port, addr=settings.host)
    port = int(server.server_address[1])
    log.info("metrics_serving", port=port)
    return port
