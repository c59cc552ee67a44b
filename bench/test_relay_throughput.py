"""Outbox relay throughput (events/s) and publish-to-consume latency p50/p99, each next to a
plain aio-pika publish loop with confirms in the same run.

Run: ``make bench PYTEST_ARGS="-k relay -s"`` (see docs/performance.md, "Event relay").
The figures are printed and stored in the benchmark's ``extra_info``; pytest-benchmark's own
timing is of one whole scenario (one round), the meaningful numbers are in ``extra_info``.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import relay_scenarios

N = 20_000


@pytest.fixture(scope="module")
def urls(test_database: Any, amqp_url: str) -> tuple[str, str]:
    return test_database.admin_url, amqp_url


def _run(benchmark: Any, scenario: Any) -> dict[str, Any]:
    box: dict[str, Any] = {}

    def once() -> None:
        box["r"] = asyncio.run(scenario())

    benchmark.pedantic(once, rounds=1, iterations=1)
    benchmark.extra_info.update(box["r"])
    print("\n", box["r"])
    return box["r"]


def test_relay_raw_aio_pika_confirms(benchmark: Any, urls: tuple[str, str]) -> None:
    """The floor: aio-pika publishing N envelopes with confirms, 500 in flight."""
    result = _run(benchmark, lambda: relay_scenarios.raw_throughput(urls[1], N))
    assert result["events_per_s"] > 0


@pytest.mark.parametrize("relays", [1, 2])
def test_relay_outbox_throughput(benchmark: Any, urls: tuple[str, str], relays: int) -> None:
    """N committed outbox rows drained by the relay(s): fetch, publish, confirm, mark."""
    result = _run(benchmark, lambda: relay_scenarios.relay_throughput(*urls, N, relays=relays))
    assert result["events_per_s"] > 0


def test_relay_latency(benchmark: Any, urls: tuple[str, str]) -> None:
    """200 events/s for 10 s, one per transaction: commit-to-consume p50/p99 vs raw publish."""
    result = _run(benchmark, lambda: relay_scenarios.latency(*urls, rate=200, seconds=10))
    assert result["relay_p99_ms"] > 0
