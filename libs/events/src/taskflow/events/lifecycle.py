"""A worker process's lifecycle: the stop signal, pauses that end on stop, periodic jobs.

Every worker (relay, consumers, clean-up and retention jobs) runs as coroutines sharing one
``asyncio.Event``: SIGTERM/SIGINT set it (:func:`install_signal_handlers`), each loop finishes
the item in hand and returns. A loop never sleeps with ``asyncio.sleep`` between rounds but with
:func:`sleep_or_stop`, so a stop is honoured at once instead of after the pause; retries wait a
:class:`Backoff`; a job on a fixed interval is :func:`every`.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import aiormq

from taskflow.common.logging import get_logger

log = get_logger(__name__)

#: Exceptions that mean "the broker (or the way to it) is not there": back off and reconnect.
#: ChannelInvalidStateError is a RuntimeError, not an AMQPError: an ack or publish on a channel
#: the broker closed (a broker restart) raised it past the reconnect loop and ended the worker.
BROKER_ERRORS: tuple[type[BaseException], ...] = (
    aiormq.exceptions.AMQPError,
    aiormq.exceptions.ChannelInvalidStateError,
    ConnectionError,
    OSError,
    TimeoutError,
)

#: What a periodic job returns: nothing, a count (logged when non-zero) or counts by name
#: (logged every round, so that a job's log shows it ran).
JobResult = int | Mapping[str, int] | None


def install_signal_handlers(stop: asyncio.Event) -> None:
    """Set ``stop`` on SIGTERM and SIGINT (call from the worker's running loop).

    Not possible outside the main thread: tests drive ``stop`` themselves.
    """
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)


@dataclass
class Backoff:
    """Exponential backoff with full jitter: ``uniform(0, min(cap, base * 2**n))``."""

    base: float = 0.2
    cap: float = 15.0
    attempt: int = 0

    def next(self) -> float:
        """The next delay (seconds), growing until ``cap``."""
        ceiling = min(self.cap, self.base * (2 ** min(self.attempt, 30)))
        self.attempt += 1
        return random.uniform(self.base / 2, ceiling)

    def reset(self) -> None:
        """Back to the shortest delay after a success."""
        self.attempt = 0


async def sleep_or_stop(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep ``seconds`` or until ``stop`` is set; return True when stopped."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    return stop.is_set()


async def every(
    stop: asyncio.Event, seconds: float, name: str, job: Callable[[], Awaitable[JobResult]]
) -> None:
    """Run ``job`` now and then every ``seconds`` until stopped.

    A failing run is logged (its type only: a driver's message may quote a URL with its
    password) and the next round tries again, so one bad pass never ends the worker.
    """
    while not stop.is_set():
        try:
            done = await job()
        except Exception as exc:
            log.warning("job_failed", job=name, error_type=type(exc).__name__)
        else:
            if isinstance(done, Mapping):  # counts by name: logged every round, zeros too
                log.info("job_done", job=name, **done)
            elif done:
                log.info("job_done", job=name, count=done)
        if await sleep_or_stop(stop, seconds):
            return
