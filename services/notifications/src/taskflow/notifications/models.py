"""Every table of the service, imported in one place for Alembic and the test cleanup."""

from taskflow.notifications.calendar.models import CalendarCollection, CalendarFeed
from taskflow.notifications.db import Base, inbox, outbox_rows
from taskflow.notifications.deliveries.models import Delivery
from taskflow.notifications.notifications.models import Notification
from taskflow.notifications.preferences.models import Preferences
from taskflow.notifications.projections.models import (
    MembershipProjection,
    ProjectProjection,
    TaskProjection,
    UserProjection,
)
from taskflow.notifications.reminders.models import Reminder

metadata = Base.metadata

__all__ = [
    "CalendarCollection",
    "CalendarFeed",
    "Delivery",
    "MembershipProjection",
    "Notification",
    "Preferences",
    "ProjectProjection",
    "Reminder",
    "TaskProjection",
    "UserProjection",
    "inbox",
    "metadata",
    "outbox_rows",
]
