"""The retry policy as pure logic: classification, the ~3 day schedule, jitter, Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from taskflow.tasks.webhooks.outbound import Answer
from taskflow.tasks.webhooks.schedule import RETRY_WAITS, classify, decide, retry_after

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        (Answer(200, 5), "succeeded"),
        (Answer(204, 5), "succeeded"),
        (Answer(None, 5, error="timeout"), "retry"),
        (Answer(None, 5, error="connection_error:ConnectError"), "retry"),
        (Answer(500, 5), "retry"),
        (Answer(503, 5), "retry"),
        (Answer(408, 5), "retry"),
        (Answer(409, 5), "retry"),
        (Answer(429, 5), "retry"),
        (Answer(400, 5), "failed"),
        (Answer(401, 5), "failed"),
        (Answer(404, 5), "failed"),
        (Answer(410, 5), "failed"),
        (Answer(422, 5), "failed"),
        (Answer(302, 5), "failed"),
        (Answer(None, 5, error="refused_target:private"), "failed"),
    ],
)
def test_classify(answer, outcome):
    assert classify(answer) == outcome


def test_the_schedule_spans_about_three_days_then_gives_up():
    now, waits = NOW, []
    for attempt in range(1, 20):
        d = decide(Answer(500, 1), attempt, now, rand=lambda: 0.5)
        if d.state == "failed":
            break
        assert d.state == "pending"
        assert d.next_attempt_at is not None
        waits.append(d.next_attempt_at - now)
        now = d.next_attempt_at
    assert waits == list(RETRY_WAITS)
    assert attempt == len(RETRY_WAITS) + 1 == 10
    assert timedelta(days=2.9) < now - NOW < timedelta(days=3.1)
    assert waits[:3] == [timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30)]


@pytest.mark.parametrize(("rand", "factor"), [(0.0, 0.8), (1.0, 1.2), (0.25, 0.9)])
def test_jitter_spreads_each_wait_by_at_most_twenty_percent(rand, factor):
    d = decide(Answer(None, 1, error="timeout"), 4, NOW, rand=lambda: rand)
    assert d.next_attempt_at == NOW + RETRY_WAITS[3] * factor


def test_retry_after_is_honoured_when_longer_and_capped_at_a_day():
    assert decide(Answer(429, 1, retry_after="600"), 1, NOW, lambda: 0.5).next_attempt_at == (
        NOW + timedelta(seconds=600)
    )
    # shorter than the schedule: the schedule wins
    assert decide(Answer(429, 1, retry_after="1"), 3, NOW, lambda: 0.5).next_attempt_at == (
        NOW + RETRY_WAITS[2]
    )
    assert decide(Answer(503, 1, retry_after="9999999"), 1, NOW, lambda: 0.5).next_attempt_at == (
        NOW + timedelta(days=1)
    )


def test_retry_after_as_an_http_date():
    assert retry_after("Mon, 07 Dec 2026 13:00:00 GMT", NOW) == timedelta(hours=1)
    assert retry_after("garbage", NOW) is None
    assert retry_after(None, NOW) is None
    assert retry_after("Mon, 07 Dec 2026 11:00:00 GMT", NOW) == timedelta(0)


def test_a_4xx_fails_at_once_even_on_the_first_attempt():
    d = decide(Answer(410, 1), 1, NOW, lambda: 0.5)
    assert (d.state, d.next_attempt_at, d.outcome) == ("failed", None, "failed")
