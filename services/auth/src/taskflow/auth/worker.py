"""`taskflow-auth worker`: the outbox relay, the membership consumer (queue `auth.memberships`,
bound to `project.member_added|removed`) and an hourly clean-up of dead credentials.

SIGTERM/SIGINT set one stop event: the relay finishes (and gets confirms for) the batch in
flight, the clean-up loop stops between rounds, then the process exits.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from taskflow.auth.config import Settings
from taskflow.auth.db import inbox, outbox_rows, utcnow
from taskflow.auth.keys.service import purge_retired
from taskflow.auth.memberships.handlers import MEMBERSHIP_EVENTS, handle_membership_event
from taskflow.auth.sessions import repository as sessions_repo
from taskflow.auth.users import repository as users_repo
from taskflow.common.db import Database
from taskflow.common.logging import get_logger
from taskflow.events import (
    Consumer,
    OutboxRelay,
    QueueSpec,
    every,
    install_signal_handlers,
    purge_published,
)

log = get_logger(__name__)

MEMBERSHIPS_QUEUE = QueueSpec(name="auth.memberships", bindings=MEMBERSHIP_EVENTS)
CLEANUP_INTERVAL_SECONDS = 3600.0
KEEP_DEAD_ROWS = timedelta(days=7)


async def cleanup_once(db: Database) -> dict[str, int]:
    """Delete sessions (with their refresh tokens), challenges and links dead for a week."""
    cutoff = utcnow() - KEEP_DEAD_ROWS
    counts: dict[str, int] = {}
    async with db.sessionmaker() as session, session.begin():
        counts["sessions_expired"] = await sessions_repo.delete_sessions_expired_before(
            session, cutoff
        )
        counts["sessions_revoked"] = await sessions_repo.delete_sessions_revoked_before(
            session, cutoff
        )
        counts["mfa_challenges"] = await sessions_repo.delete_challenges_expired_before(
            session, cutoff
        )
        counts["one_time_tokens"] = await users_repo.delete_tokens_expired_before(session, cutoff)
        counts["signing_keys"] = await purge_retired(session)
        conn = await session.connection()
        counts["outbox"] = await purge_published(conn, outbox_rows)
    return counts


def membership_consumer(settings: Settings, db: Database) -> Consumer:
    """The consumer keeping the membership projection (who shares a project with whom)."""
    return Consumer(
        settings.amqp_url.get_secret_value(),
        settings.events_exchange,
        MEMBERSHIPS_QUEUE,
        db.sessionmaker,
        inbox,
        dict.fromkeys(MEMBERSHIP_EVENTS, handle_membership_event),
    )


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Run the relay and the clean-up until SIGTERM/SIGINT (or `stop` is set)."""
    stop = stop or asyncio.Event()
    install_signal_handlers(stop)
    db = Database(settings)
    relay = OutboxRelay(
        db.engine,
        outbox_rows,
        settings.amqp_url.get_secret_value(),
        settings.events_exchange,
        name="auth.outbox",
    )
    memberships = membership_consumer(settings, db)
    log.info("worker_started")
    try:
        await asyncio.gather(
            relay.run(stop),
            memberships.run(stop),
            every(stop, CLEANUP_INTERVAL_SECONDS, "cleanup", lambda: cleanup_once(db)),
        )
    finally:
        await db.dispose()
        log.info("worker_stopped")
