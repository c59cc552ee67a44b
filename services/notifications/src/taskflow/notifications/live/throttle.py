"""A per-connection token bucket for expensive WebSocket messages (`resume`).

Each `resume` runs a database query of up to `ws_resume_limit` rows; without a limit one
socket can loop it and load the database for everyone. The bucket lives with the connection
(in memory, no Redis): the limit is per socket, and a socket lives on one replica.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBucket:
    """`burst` tokens, one more every `interval` seconds; `take()` spends one if it can."""

    def __init__(
        self, burst: int, interval: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.burst = burst
        self.interval = interval
        self.clock = clock
        self.tokens = float(burst)
        self.updated = clock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) / self.interval)
        self.updated = now

    def take(self) -> bool:
        """True (and one token spent) when allowed now."""
        self._refill()
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def retry_after(self) -> float:
        """Seconds until the next token."""
        self._refill()
        return max(0.0, (1 - self.tokens) * self.interval)
