"""Prometheus metrics of the event bus (registered once per process, labelled per outbox/queue)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

RELAY_PUBLISHED = Counter(
    "taskflow_outbox_published_total", "Outbox rows published and confirmed", ["outbox"]
)
RELAY_FAILURES = Counter(
    "taskflow_outbox_publish_failures_total",
    "Outbox rows or batches that failed to publish, by reason",
    ["outbox", "reason"],
)
RELAY_LAG = Histogram(
    "taskflow_outbox_publish_lag_seconds",
    "Time from the outbox insert to the broker's confirm",
    ["outbox"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
RELAY_OLDEST = Gauge(
    "taskflow_outbox_oldest_unpublished_seconds",
    "Age of the oldest row in the last batch the relay fetched (0 when idle)",
    ["outbox"],
)
RELAY_CONNECTED = Gauge(
    "taskflow_outbox_broker_connected", "1 while the relay holds a broker connection", ["outbox"]
)
CONSUMED = Counter(
    "taskflow_events_consumed_total",
    "Messages a consumer finished, by outcome (handled, duplicate, retried, parked)",
    ["queue", "outcome"],
)
HANDLE_SECONDS = Histogram(
    "taskflow_events_handle_seconds",
    "Time to handle one message (DB transaction included)",
    ["queue"],
)
PARK_REFUSED = Counter(
    "taskflow_events_park_refused_total",
    "Messages the parking queue refused (at its length limit): kept, put back, alert on it",
    ["queue"],
)
QUEUE_OUTDATED = Gauge(
    "taskflow_events_queue_outdated",
    "1 when a queue exists with older arguments than the code declares (apply the policy)",
    ["queue"],
)
RELAY_HELD = Gauge(
    "taskflow_outbox_unroutable_rows",
    "Outbox rows held back after the broker returned them as unroutable (alert when > 0)",
    ["outbox"],
)
