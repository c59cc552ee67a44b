"""The worker process stops cleanly on SIGTERM (as Kubernetes and make dev's supervisor do)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import Any


async def test_worker_exits_cleanly_on_sigterm(settings: Any) -> None:
    env = {
        **os.environ,
        "NOTIFICATIONS_DATABASE_URL": settings.database_url.get_secret_value(),
        "NOTIFICATIONS_AMQP_URL": settings.amqp_url.get_secret_value(),
        "NOTIFICATIONS_REDIS_URL": settings.redis_url.get_secret_value(),
        "NOTIFICATIONS_REDIS_PREFIX": settings.redis_prefix,
        "NOTIFICATIONS_LOG_LEVEL": "INFO",
        "NOTIFICATIONS_ENVIRONMENT": "test",
        # Same queue arguments as the in-process workers of this session.
        "NOTIFICATIONS_CONSUMER_RETRY_DELAYS_MS": "[50]",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from taskflow.notifications.cli import main; raise SystemExit(main(['worker']))",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert proc.stdout is not None
    try:

        async def started() -> None:
            assert proc.stdout is not None
            while b"worker_started" not in await proc.stdout.readline():
                pass

        await asyncio.wait_for(started(), 60)
        await asyncio.sleep(0.5)  # let the loops reach their waits
        proc.send_signal(signal.SIGTERM)
        out, _ = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0, out.decode()[-2000:]
        assert b"worker_stopped" in out
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
