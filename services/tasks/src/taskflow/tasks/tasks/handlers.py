"""Consumer handlers of task events (queue `tasks.recurrence`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from taskflow.events.contracts.tasks import TaskCompleted
from taskflow.tasks.tasks import occurrences


async def handle_task_completed(session: AsyncSession, envelope: Any, event: Any) -> None:
    """A recurring task was completed: create its next occurrence (exactly once)."""
    if isinstance(event, TaskCompleted) and event.task.recurrence is not None:
        await occurrences.create_next(session, event.task.task_id)
