"""`taskflow-reporting rebuild`: throw the read models away and replay the event log.

The reporting service only ever sees events, so the event log it keeps (`event_log`, every
event applied, as received) is the source the read models are rebuilt from, after a bug fix
in the projection or a new read model. The mechanism:

1. one transaction takes `LOCK TABLE event_log IN SHARE MODE`: the worker's next insert into
   the log waits (its messages stay unacknowledged in the queue), readers are not blocked;
2. every read model is emptied with DELETE (not TRUNCATE, whose exclusive lock would block the
   API): until the commit, readers keep seeing the old figures;
3. the log is replayed in arrival order (`seq`), in pages, through the same projection code
   the worker uses (`handlers.project`); since that code is order-safe, any order would do;
4. commit: readers switch to the new figures at once and the worker carries on.

The inbox is kept: every id in it is in the log, so it stays true (a duplicate delivery after
the rebuild is still recognised). Events that no longer parse (a contract removed) are
counted and skipped, never fatal.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.common.logging import get_logger
from taskflow.events.envelope import Envelope
from taskflow.events.errors import EventError
from taskflow.reporting.projection import repository
from taskflow.reporting.projection.handlers import project

log = get_logger("taskflow.reporting.rebuild")


@dataclass(frozen=True, slots=True)
class RebuildResult:
    """What a rebuild replayed."""

    applied: int
    skipped: int


async def rebuild(session: AsyncSession, *, batch: int = 2000) -> RebuildResult:
    """Empty the read models and replay the whole event log, inside the caller's transaction."""
    await repository.lock_event_log(session)
    await repository.empty_read_models(session)
    applied = skipped = 0
    last = 0
    while True:
        rows = await repository.event_log_page(session, last, batch)
        if not rows:
            break
        for seq, raw in rows:
            last = seq
            try:
                envelope = Envelope.model_validate(raw)
                event = envelope.event()
            except (EventError, ValueError) as exc:
                skipped += 1
                log.warning("rebuild_skipped_event", seq=seq, reason=str(exc))
                continue
            await project(session, event, envelope.time)
            applied += 1
        log.info("rebuild_progress", applied=applied, skipped=skipped, last_seq=last)
    return RebuildResult(applied=applied, skipped=skipped)
