"""A mail outage (issue 16, fault 6): 50 notifications while the SMTP server is away.

The whole worker runs (consumer, sender, scheduler, relay loops, real clock); the SMTP sink
(aiosmtpd) sits behind the TCP fault proxy, which refuses connections ("drop") or accepts them
and never answers ("stall", where each real try costs the SMTP timeout). What must hold:

* the breaker opens after `breaker_fail_max` failures, and then the other deliveries are not
  tried at all: all 50 are dealt with within a few seconds, not 50 timeouts;
* nothing is lost or doubled: after the server answers again all 50 mails arrive, once each
  (counted at the sink by Message-ID and subject), and every delivery row says `sent`.

Bounded in time: the breaker's reset timeout is 1 s and delivery backoff 0.05-0.2 s (the test
settings) instead of 30 s and 10 s-1 h, and the outage lasts 6 s instead of the issue's 2
minutes; the behaviour is the same, only the clock is shorter.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from notifications_testkit import created, deliveries, snapshot, uid, user

from taskflow.notifications.worker import build_worker
from taskflow.testing import wait_until

pytestmark = pytest.mark.timeout(60)

MAILS = 50
OUTAGE = 6.0  # seconds
SMTP_TIMEOUT = 2.0  # connect and greeting; the loaded test machine needs more than 0.5 s at times


@pytest.mark.parametrize("mode", ["drop", "stall"])
async def test_fifty_mails_during_an_outage_arrive_once_each_after_it(
    mode: str,
    apply: Any,
    settings: Any,
    smtp_sink: Any,
    fault_proxy: Any,
    sessionmaker: Any,
) -> None:
    proxy = await fault_proxy(smtp_sink.host, smtp_sink.port)
    s = settings.model_copy(update={"smtp_port": proxy.port, "smtp_timeout": SMTP_TIMEOUT})
    worker = build_worker(s)  # the real clock: the breaker and backoffs run in real time
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    try:
        alice, actor, project = uid(), uid(), uid()
        await apply(user(alice))
        await apply(user(actor, name="Carol"))
        await (proxy.drop() if mode == "drop" else proxy.stall())

        titles = [f"Outage {i:02d}" for i in range(MAILS)]
        started = time.monotonic()
        for title in titles:
            snap = snapshot(uid(), project, creator=actor, assignees=[alice], title=title)
            await apply(created(snap), actor=actor)
        creating = time.monotonic() - started

        # The breaker opened, and every delivery was dealt with quickly: the open breaker
        # answers at once instead of each of the 50 waiting for a connection or a timeout.
        async def all_seen() -> bool:
            rows = await deliveries(sessionmaker, "email")
            return len(rows) == MAILS and all(r.last_error for r in rows)

        await wait_until(all_seen, timeout=20, interval=0.05)
        dealt_with = time.monotonic() - started
        breaker = worker.sender.smtp_breaker
        # Real time: after 1 s the breaker lets one trial through (half-open), which fails.
        assert await breaker.current_state() in ("open", "half-open")
        rows = await deliveries(sessionmaker, "email")
        tried = sum(1 for r in rows if r.attempts)
        assert {r.status for r in rows} <= {"pending", "sending"}  # none failed, none sent
        assert sum(1 for r in rows if r.last_error == "circuit breaker open") >= MAILS - tried
        # Most were never tried: the open breaker answered for them at once. Without it every
        # mail waits for its own failure (a timeout when stalled): 25 s after the creates.
        assert tried <= 12, tried
        assert dealt_with - creating < MAILS * SMTP_TIMEOUT / 2, (dealt_with, creating)
        assert smtp_sink.messages() == []

        await asyncio.sleep(max(0.0, OUTAGE - (time.monotonic() - started)))
        await proxy.restore()
        healed = time.monotonic()

        def arrived() -> list[Any]:
            return [m for m in smtp_sink.messages() if str(m["Subject"]).endswith(tuple(titles))]

        await wait_until(lambda: len(arrived()) >= MAILS, timeout=30, interval=0.1)
        recovery = time.monotonic() - healed
        await asyncio.sleep(1.5)  # time for a duplicate to show up
        mails = arrived()
        subjects = sorted(" ".join(str(m["Subject"]).split()[-2:]) for m in mails)
        assert len(mails) == MAILS, len(mails)  # none missing, none doubled
        assert len({m["Message-ID"] for m in mails}) == MAILS
        assert subjects == sorted(titles)
        assert {r.status for r in await deliveries(sessionmaker, "email")} == {"sent"}
        assert await breaker.current_state() == "closed"
        print(
            f"\nmail outage ({mode}) figures: {MAILS} notifications, breaker open, all dealt "
            f"with {dealt_with - creating:.2f} s after the creates, {tried} real tries during "
            f"the outage, arrived "
            f"{len(mails)}, duplicated {len(mails) - len({m['Message-ID'] for m in mails})}, "
            f"all delivered {recovery:.2f} s after recovery"
        )
    finally:
        stop.set()
        await proxy.restore()
        await asyncio.wait_for(running, 30)
