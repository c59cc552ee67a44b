"""Run async side effects only after the session's transaction committed.

Pushing a notification over the WebSocket, invalidating the unread count or waking the sender
before the commit would announce something a rollback may still undo (or let a reader cache
the old count again). Actions registered here run as tasks once the commit succeeded and are
dropped on rollback.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from taskflow.common.logging import get_logger

log = get_logger(__name__)

Action = Callable[[], Awaitable[object]]
_KEY = "taskflow.post_commit"
_running: set[asyncio.Task[object]] = set()


def on_commit(session: AsyncSession, action: Action) -> None:
    """Run `action()` after this session's current transaction commits."""
    sync = session.sync_session
    sync.info.setdefault(_KEY, []).append(action)


async def _run(action: Action) -> object:
    try:
        return await action()
    except Exception:
        log.exception("post_commit_action_failed")
        return None


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    actions: list[Action] = session.info.pop(_KEY, [])
    if not actions:
        return
    loop = asyncio.get_running_loop()
    for action in actions:
        task: asyncio.Task[object] = loop.create_task(_run(action))
        _running.add(task)
        task.add_done_callback(_running.discard)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_KEY, None)


async def drain() -> None:
    """Wait for the actions started so far (tests and shutdown)."""
    while _running:
        await asyncio.gather(*list(_running), return_exceptions=True)
