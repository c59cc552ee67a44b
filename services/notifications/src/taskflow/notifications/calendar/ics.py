"""iCalendar documents for tasks: one VEVENT per task with a stable UID and VALARMs.

The UID is derived from the task id only, so every PUT of the same task replaces the same
event in any calendar (CalDAV, the feed, an .ics attachment) instead of adding a copy.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from icalendar import Alarm, Calendar, Event

PRODID = "-//Taskflow//Notifications//EN"
#: A task is shown as a short event ending at its due time.
EVENT_LENGTH = timedelta(minutes=30)


@dataclass(frozen=True)
class TaskEntry:
    """What a calendar entry needs of a task."""

    task_id: uuid.UUID
    title: str
    key: str | None
    due_at: datetime
    link: str | None
    version: int = 0
    reminders: list[datetime] = field(default_factory=list)


def uid_for(task_id: uuid.UUID) -> str:
    """The stable UID of a task's event."""
    return f"task-{task_id}@taskflow"


def _event(entry: TaskEntry, stamp: datetime) -> Event:
    ev = Event()
    ev.add("uid", uid_for(entry.task_id))
    ev.add("dtstamp", stamp)
    ev.add("dtstart", entry.due_at - EVENT_LENGTH)
    ev.add("dtend", entry.due_at)
    ev.add("summary", f"{entry.key} {entry.title}" if entry.key else entry.title)
    # SEQUENCE grows with the task's version so clients accept the update.
    ev.add("sequence", entry.version)
    if entry.link:
        ev.add("url", entry.link)
        ev.add("description", f"Open in Taskflow: {entry.link}")
    for when in entry.reminders:
        if when >= entry.due_at:
            continue
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"Reminder: {entry.title}")
        alarm.add("trigger", when - entry.due_at, parameters={"RELATED": "END"})
        ev.add_component(alarm)
    return ev


def calendar(entries: Iterable[TaskEntry], *, stamp: datetime, name: str | None = None) -> bytes:
    """A VCALENDAR holding one VEVENT per entry."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if name:
        cal.add("x-wr-calname", name)
    for entry in entries:
        cal.add_component(_event(entry, stamp))
    out: bytes = cal.to_ical()
    return out
