"""A circuit breaker whose state every replica shares through Redis.

`AsyncCircuitBreaker` keeps its state (failure count, opening time, the half-open trial) in
Redis, so every replica of a service sees the same open/closed state, and reads and writes
it with the *async* client under a timeout. pybreaker's Redis storage was used before; its
API is synchronous, so each state check was a blocking round trip on the event loop, and a
hung Redis froze every route of the process. pybreaker has no async storage, so the small
state machine is written here, each transition one Lua script (atomic across replicas).

When Redis does not answer, the breaker degrades instead of failing the call: it keeps a
state of its own in the process for `local_fallback_seconds` (no Redis round trip, so no
further waiting on a hung server), then tries Redis again. The protected call itself is
bounded by its own timeouts and retries.

Each breaker keeps the gauge `taskflow_breaker_open{service,breaker}` (1 open or half-open,
0 closed) in the process's default Prometheus registry, set whenever the state it sees
changes, so that an open breaker alerts (the chart's TaskflowBreakerOpen) from whichever
process holds it (a worker serves that registry on `metrics_port`, taskflow.common.metrics).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import pybreaker
from prometheus_client import Gauge
from redis.asyncio import Redis

from taskflow.common.logging import get_logger
from taskflow.common.redis import REDIS_DOWN_ERRORS

log = get_logger("taskflow.common.resilience")
T = TypeVar("T")

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"


BREAKER_OPEN = Gauge(
    "taskflow_breaker_open",
    "1 while the circuit breaker is open or half-open, 0 when closed",
    ["service", "breaker"],
)


class CircuitBreakerError(pybreaker.CircuitBreakerError):
    """The breaker is open: the call was not made. (pybreaker's class, so that code written
    against pybreaker keeps catching it.)"""


# KEYS: fails, opened_at_ms, trial. ARGV: now_ms, reset_ms, trial_ttl_ms.
# Returns {state, fails}: closed (call), open (refuse), trial (the one half-open call).
_ADMIT = """
local fails = tonumber(redis.call('GET', KEYS[1]) or '0')
local opened = redis.call('GET', KEYS[2])
if not opened then return {'closed', fails} end
if tonumber(ARGV[1]) - tonumber(opened) < tonumber(ARGV[2]) then return {'open', fails} end
if redis.call('SET', KEYS[3], ARGV[1], 'NX', 'PX', ARGV[3]) then return {'trial', fails} end
return {'open', fails}
"""

# KEYS: fails, opened_at_ms, trial. ARGV: now_ms, fail_max, was_trial (1/0).
# A failed trial reopens at once; otherwise the count grows and opens the breaker at
# fail_max, the opening time moving forward only (replicas may race to open it).
_FAIL = """
if ARGV[3] == '1' then
  redis.call('SET', KEYS[2], ARGV[1])
  redis.call('DEL', KEYS[3])
  return 'open'
end
local n = redis.call('INCR', KEYS[1])
if n >= tonumber(ARGV[2]) then
  local current = redis.call('GET', KEYS[2])
  if not current or tonumber(ARGV[1]) > tonumber(current) then
    redis.call('SET', KEYS[2], ARGV[1])
  end
  return 'open'
end
return 'closed'
"""


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class _LocalState:
    """The same state machine in the process, used while Redis does not answer."""

    fails: int = 0
    opened_at_ms: int | None = None
    trial_until_ms: int = 0

    def admit(self, now: int, reset_ms: int, trial_ms: int) -> tuple[str, int]:
        if self.opened_at_ms is None:
            return CLOSED, self.fails
        if now - self.opened_at_ms < reset_ms or now < self.trial_until_ms:
            return OPEN, self.fails
        self.trial_until_ms = now + trial_ms
        return "trial", self.fails

    def fail(self, now: int, fail_max: int, trial: bool) -> None:
        if trial:
            self.opened_at_ms, self.trial_until_ms = now, 0
            return
        self.fails += 1
        if self.fails >= fail_max:
            self.opened_at_ms = max(now, self.opened_at_ms or 0)

    def reset(self) -> None:
        self.fails, self.opened_at_ms, self.trial_until_ms = 0, None, 0


class AsyncCircuitBreaker:
    """A circuit breaker for `async def` calls whose state lives in Redis under `prefix`.

    Closed: calls go through; `fail_max` failures in a row open it. Open: calls fail at once
    with `CircuitBreakerError` for `reset_timeout` seconds. Then one trial call (across all
    replicas) goes through: a success closes the breaker, a failure reopens it. Exceptions
    in `exclude` are the caller's business (a 4xx, a refused address) and never count.

    `service` labels the `taskflow_breaker_open` gauge; `export_metric=False` keeps a breaker
    out of it (one breaker per customer endpoint would be unbounded label cardinality, and a
    customer's receiver being down is not an operator's alert).
    """

    def __init__(
        self,
        name: str,
        *,
        redis_client: Redis,
        prefix: str,
        fail_max: int = 5,
        reset_timeout: float = 30.0,
        exclude: Iterable[type[BaseException]] = (),
        redis_timeout: float = 1.0,
        local_fallback_seconds: float = 5.0,
        service: str = "taskflow",
        export_metric: bool = True,
    ) -> None:
        self.name = name
        self._gauge = BREAKER_OPEN.labels(service, name) if export_metric else None
        self._published_open: bool | None = None
        self.fail_max = fail_max
        self.reset_timeout = reset_timeout
        self.exclude = tuple(exclude)
        self._redis = redis_client
        ns = f"{prefix}:breaker:{name}"
        self._keys = [f"{ns}:fails", f"{ns}:opened_at_ms", f"{ns}:trial"]
        self._redis_timeout = redis_timeout
        self._fallback_seconds = local_fallback_seconds
        self._redis_down_until = float("-inf")
        self._local = _LocalState()

    @property
    def _reset_ms(self) -> int:
        return int(self.reset_timeout * 1000)

    @property
    def _trial_ms(self) -> int:
        # A trial that never reports back (its task was cancelled) must not hold the breaker
        # half-open forever: another trial is allowed after one more reset period.
        return max(self._reset_ms, 1000)

    def _publish(self, is_open: bool) -> None:
        """Set the gauge when the state this process sees changes (open or half-open = 1)."""
        if self._gauge is not None and is_open != self._published_open:
            self._gauge.set(1 if is_open else 0)
            self._published_open = is_open

    def _use_redis(self) -> bool:
        return time.monotonic() >= self._redis_down_until

    def _redis_failed(self, exc: BaseException) -> None:
        if self._use_redis():
            log.warning("breaker_state_local", breaker=self.name, error_type=type(exc).__name__)
        self._redis_down_until = time.monotonic() + self._fallback_seconds

    async def _redis_call(self, make: Callable[[], Awaitable[Any]]) -> Any:
        async with asyncio.timeout(self._redis_timeout):
            return await make()

    async def _admit(self) -> tuple[str, int]:
        state, fails = await self._admit_state()
        self._publish(state != CLOSED)
        return state, fails

    async def _admit_state(self) -> tuple[str, int]:
        now = _now_ms()
        if self._use_redis():
            try:
                state, fails = await self._redis_call(
                    lambda: self._redis.eval(
                        _ADMIT, 3, *self._keys, now, self._reset_ms, self._trial_ms
                    )
                )
                return (state.decode() if isinstance(state, bytes) else str(state)), int(fails)
            except REDIS_DOWN_ERRORS as exc:
                self._redis_failed(exc)
        return self._local.admit(now, self._reset_ms, self._trial_ms)

    async def _on_failure(self, trial: bool) -> None:
        now = _now_ms()
        if self._use_redis():
            try:
                state = await self._redis_call(
                    lambda: self._redis.eval(
                        _FAIL, 3, *self._keys, now, self.fail_max, "1" if trial else "0"
                    )
                )
                self._publish((state.decode() if isinstance(state, bytes) else str(state)) == OPEN)
                return
            except REDIS_DOWN_ERRORS as exc:
                self._redis_failed(exc)
        self._local.fail(now, self.fail_max, trial)
        self._publish(self._local.opened_at_ms is not None)

    async def _reset(self) -> None:
        self._local.reset()
        self._publish(False)
        if self._use_redis():
            try:
                await self._redis_call(lambda: self._redis.delete(*self._keys))
            except REDIS_DOWN_ERRORS as exc:
                self._redis_failed(exc)

    async def call(self, func: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Await `func(*args, **kwargs)` through the breaker.

        Raises `CircuitBreakerError` at once while open; otherwise the call's own outcome,
        which is counted (failure or success) once it has been awaited.
        """
        state, fails = await self._admit()
        if state == OPEN:
            raise CircuitBreakerError(f"circuit breaker {self.name!r} is open")
        trial = state == "trial"
        try:
            result = await func(*args, **kwargs)
        except self.exclude:
            # The upstream answered (a refusal that is the caller's business): it is up.
            if trial or fails:
                await self._reset()
            raise
        except Exception:
            await self._on_failure(trial)
            raise
        if trial or fails:
            await self._reset()
        return result

    async def current_state(self) -> str:
        """`closed`, `open` or `half-open`, as stored in Redis (or held locally meanwhile)."""
        now = _now_ms()
        opened: int | None
        if self._use_redis():
            try:
                raw = await self._redis_call(lambda: self._redis.get(self._keys[1]))
                opened = int(raw) if raw else None
            except REDIS_DOWN_ERRORS as exc:
                self._redis_failed(exc)
                opened = self._local.opened_at_ms
        else:
            opened = self._local.opened_at_ms
        self._publish(opened is not None)
        if opened is None:
            return CLOSED
        return OPEN if now - opened < self._reset_ms else HALF_OPEN

    async def fail_count(self) -> int:
        """Failures counted since the last success."""
        if self._use_redis():
            try:
                raw = await self._redis_call(lambda: self._redis.get(self._keys[0]))
                return int(raw or 0)
            except REDIS_DOWN_ERRORS as exc:
                self._redis_failed(exc)
        return self._local.fails

    async def close(self) -> None:
        """Force the breaker closed (admin action, tests)."""
        await self._reset()
