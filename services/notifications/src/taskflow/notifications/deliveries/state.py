"""The delivery state machine, as pure functions (no I/O) so every transition is unit-tested.

    pending --claim--> sending --ok--> sent
                          |--error, attempts left--> pending (next_attempt_at = backoff)
                          |--error, none left------> failed  (delivery_failed is published)
                          |--permanent (SMTP 5xx)--> failed  (at once; delivery_failed)
                          '--breaker open----------> pending (no attempt counted)
    held (waiting for the daily digest) --digest--> digested
    failed --admin retry--> pending (one more attempt allowed)

A breaker that is open did not try the channel, so it does not use up an attempt: a long
outage must not turn every queued mail into a permanent failure; it waits for the breaker.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Status(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    HELD = "held"
    DIGESTED = "digested"
    CANCELLED = "cancelled"


class Channel(StrEnum):
    EMAIL = "email"
    CALENDAR = "calendar"


@dataclass(frozen=True)
class Outcome:
    """What to write back after one attempt."""

    status: Status
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    final_failure: bool = False


def backoff(attempts: int, *, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds to wait after `attempts` failed attempts: full-jitter exponential, capped."""
    ceiling = min(cap, base * (2 ** max(0, attempts - 1)))
    r = (rng or random).uniform(0.5, 1.0)
    return float(ceiling * r)


def after_success(attempts: int, now: datetime) -> Outcome:
    """The delivery went out."""
    return Outcome(Status.SENT, attempts + 1, now, None)


def after_failure(
    attempts: int,
    max_attempts: int,
    now: datetime,
    error: str,
    *,
    base: float,
    cap: float,
    rng: random.Random | None = None,
) -> Outcome:
    """An attempt failed: retry later, or fail for good after the last allowed attempt."""
    used = attempts + 1
    if used >= max_attempts:
        return Outcome(Status.FAILED, used, now, error[:1000], final_failure=True)
    wait = backoff(used, base=base, cap=cap, rng=rng)
    return Outcome(Status.PENDING, used, now + timedelta(seconds=wait), error[:1000])


def after_permanent_failure(attempts: int, now: datetime, error: str) -> Outcome:
    """The other side refused this delivery for good (an SMTP 5xx): no retry will help."""
    return Outcome(Status.FAILED, attempts + 1, now, error[:1000], final_failure=True)


def after_breaker_open(attempts: int, now: datetime, retry_in: float) -> Outcome:
    """The breaker refused the call: stay pending until it may close, attempts unchanged."""
    return Outcome(
        Status.PENDING, attempts, now + timedelta(seconds=retry_in), "circuit breaker open"
    )


def retry_allowed(status: str) -> bool:
    """Only failed (or stuck pending) deliveries may be retried by an admin."""
    return status in (Status.FAILED, Status.PENDING)
