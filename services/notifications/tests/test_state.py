"""The delivery state machine (pure)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from taskflow.notifications.deliveries.state import (
    Status,
    after_breaker_open,
    after_failure,
    after_success,
    backoff,
)

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_failure_backs_off_then_fails_for_good() -> None:
    rng = random.Random(1)
    first = after_failure(0, 3, NOW, "boom", base=10, cap=100, rng=rng)
    assert first.status == Status.PENDING
    assert first.attempts == 1
    assert not first.final_failure
    assert NOW + timedelta(seconds=5) <= first.next_attempt_at <= NOW + timedelta(seconds=10)
    last = after_failure(2, 3, NOW, "boom", base=10, cap=100, rng=rng)
    assert last.status == Status.FAILED
    assert last.attempts == 3
    assert last.final_failure


def test_backoff_grows_and_is_capped() -> None:
    rng = random.Random(2)
    waits = [backoff(n, base=1, cap=8, rng=rng) for n in range(1, 8)]
    assert waits[0] <= 1
    assert waits[2] >= 2
    assert all(w <= 8 for w in waits)


def test_open_breaker_does_not_use_an_attempt() -> None:
    out = after_breaker_open(2, NOW, 30)
    assert out.status == Status.PENDING
    assert out.attempts == 2
    assert out.next_attempt_at == NOW + timedelta(seconds=30)


def test_success() -> None:
    out = after_success(1, NOW)
    assert out.status == Status.SENT
    assert out.attempts == 2
    assert out.last_error is None
