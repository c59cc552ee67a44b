"""The retry policy of a delivery: what an answer means, and when to try again.

Pure functions, so that the schedule is tested with an injected clock and random source.

The schedule follows the one Standard Webhooks suggests (immediately, 5 s, 5 min, 30 min,
2 h, 5 h, 10 h, 10 h) stretched to about three days (plus 20 h, 24 h), each wait spread by
+-20 % jitter so that an endpoint that comes back is not hit by every retry at once. A
`Retry-After` (seconds or an HTTP date) on a 429 or 503 is honoured when it asks for longer
than the schedule, up to a day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Literal

from taskflow.tasks.webhooks.outbound import Answer

#: Waits after attempt 1, 2, ...: 10 attempts over ~3 days (2 d 23.6 h, +- jitter).
RETRY_WAITS = tuple(
    timedelta(seconds=s) for s in (5, 300, 1800, 7200, 18000, 36000, 36000, 72000, 86400)
)
JITTER = 0.2
MAX_RETRY_AFTER = timedelta(days=1)
#: 4xx answers that mean "later" rather than "never".
RETRYABLE_4XX = frozenset({408, 409, 429})

Outcome = Literal["succeeded", "retry", "failed"]


def classify(answer: Answer) -> Outcome:
    """2xx succeeded; no answer, 408/409/429 and 5xx retry; other answers failed at once.

    Redirects are answers, not successes: we never follow them, and a receiver that moved must
    update its URL (the delivery log shows the 3xx).
    """
    if answer.status is None:
        # A refused target is a configuration fault, not a passing one: retrying cannot help.
        return "failed" if (answer.error or "").startswith("refused_target") else "retry"
    if 200 <= answer.status < 300:
        return "succeeded"
    if answer.status >= 500 or answer.status in RETRYABLE_4XX:
        return "retry"
    return "failed"


def retry_after(value: str | None, now: datetime) -> timedelta | None:
    """A `Retry-After` header as a wait (capped), or None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        wait = timedelta(seconds=int(value))
    else:
        try:
            wait = parsedate_to_datetime(value) - now
        except (TypeError, ValueError):
            return None
    return min(max(wait, timedelta(0)), MAX_RETRY_AFTER)


@dataclass(frozen=True, slots=True)
class Decision:
    """After an attempt: the delivery's next state, and when to try again if it is pending."""

    state: Literal["pending", "succeeded", "failed"]
    next_attempt_at: datetime | None
    outcome: Outcome


def decide(
    answer: Answer, round_attempts: int, now: datetime, rand: Callable[[], float]
) -> Decision:
    """What to do after the `round_attempts`-th attempt (1-based) got `answer` at `now`."""
    outcome = classify(answer)
    if outcome == "succeeded":
        return Decision("succeeded", None, outcome)
    if outcome == "failed" or round_attempts > len(RETRY_WAITS):
        return Decision("failed", None, "failed")
    base = RETRY_WAITS[round_attempts - 1]
    wait = base * (1 + JITTER * (2 * rand() - 1))
    asked = retry_after(answer.retry_after, now)
    if asked is not None and asked > wait:
        wait = asked
    return Decision("pending", now + wait, outcome)
