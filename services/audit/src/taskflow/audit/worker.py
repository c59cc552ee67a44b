"""The audit worker: the batched consumer of `audit.events` and the retention job.

Both stop on SIGTERM/SIGINT: the consumer finishes the batch in hand (its messages are acked
only after their commit; prefetched ones go back to the queue), the retention loop finishes
its chunk (each chunk is its own transaction, so a purge cut short is still consistent).
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from taskflow.audit.config import Settings
from taskflow.audit.consumer import BatchConsumer
from taskflow.audit.db import inbox
from taskflow.audit.retention.changes import append_pending
from taskflow.audit.retention.inbox import trim_inbox
from taskflow.audit.retention.purge import TamperedEntries, effective_days, purge
from taskflow.common.db import Database
from taskflow.common.logging import get_logger
from taskflow.events import QueueSpec, every, install_signal_handlers

log = get_logger("taskflow.audit.worker")


def queue_spec(settings: Settings) -> QueueSpec:
    """`audit.events`, bound to every event type, in the framework's batch mode."""
    return QueueSpec(
        name=settings.queue,
        bindings=("#",),
        prefetch=max(settings.prefetch, settings.batch_size),
        batch_size=settings.batch_size,
        batch_wait_ms=round(settings.batch_wait_seconds * 1000),
    )


def build_consumer(settings: Settings, db: Database) -> BatchConsumer:
    """The consumer appending to the chain as its writer role (not the schema owner)."""
    return BatchConsumer(
        settings.amqp_url.get_secret_value(),
        settings.events_exchange,
        queue_spec(settings),
        db.sessionmaker,
        inbox,
        redact=settings.redaction,
    )


async def run_retention_once(settings: Settings, engine: AsyncEngine) -> int:
    """One purge with the policy in force; the number of entries deleted."""
    floor = settings.retention_floor_days
    days = await effective_days(engine, settings.default_retention_days, floor)
    result = await purge(
        engine, days=days, now=datetime.now(UTC), chunk=settings.retention_chunk, floor_days=floor
    )
    return result.deleted


async def admin_changes_loop(settings: Settings, writer: AsyncEngine, stop: asyncio.Event) -> None:
    """Append recorded policy and legal-hold changes to the chain until stopped."""

    async def append_once() -> int:
        return await append_pending(writer)

    await every(stop, settings.admin_changes_interval_seconds, "admin_changes", append_once)


async def run_inbox_trim_once(settings: Settings, writer: AsyncEngine) -> int:
    """Drop inbox rows older than `inbox_retention_days`; the number deleted."""
    return await trim_inbox(
        writer,
        days=settings.inbox_retention_days,
        now=datetime.now(UTC),
        chunk=settings.retention_chunk,
    )


async def retention_loop(
    settings: Settings, engine: AsyncEngine, stop: asyncio.Event, writer: AsyncEngine | None = None
) -> None:
    """Purge (and trim the inbox, as `writer`) every `retention_interval_seconds` until stopped.

    Errors are logged, not fatal: the next pass tries again. A refused purge (tampered entries)
    is an error of its own, and does not keep the inbox from being trimmed.
    """

    async def retention_once() -> dict[str, int]:
        done = {"purged": 0, "inbox_trimmed": 0}
        try:
            done["purged"] = await run_retention_once(settings, engine)
        except TamperedEntries as exc:
            log.error("retention_refused_tampered_entries", error=str(exc))
        except Exception as exc:
            log.warning("retention_failed", error_type=type(exc).__name__)
        if writer is not None:
            done["inbox_trimmed"] = await run_inbox_trim_once(settings, writer)
        return done

    await every(stop, settings.retention_interval_seconds, "retention", retention_once)


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Consume and purge until SIGTERM/SIGINT (or `stop`)."""
    stop = stop or asyncio.Event()
    install_signal_handlers(stop)
    # The consumer's role (never the owner: it must not be able to drop the triggers).
    writer = Database(settings, url=settings.worker_database_url.get_secret_value())
    retention = Database(settings, url=settings.retention_database_url.get_secret_value())
    consumer = build_consumer(settings, writer)
    log.info("worker_started", queue=settings.queue)
    tasks = [
        asyncio.create_task(consumer.run(stop), name="audit-consumer"),
        asyncio.create_task(
            retention_loop(settings, retention.engine, stop, writer.engine), name="retention"
        ),
        asyncio.create_task(
            admin_changes_loop(settings, writer.engine, stop), name="audit-admin-changes"
        ),
    ]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            if task.exception() is not None:
                stop.set()
                raise task.exception()  # type: ignore[misc]
        await asyncio.gather(*tasks)
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.gather(*tasks, return_exceptions=True)
        await writer.dispose()
        await retention.dispose()
        log.info(
            "worker_stopped",
            handled=consumer.handled,
            duplicates=consumer.duplicates,
            parked=consumer.parked,
        )
