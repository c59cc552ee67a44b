"""The service's metadata (bound to schema `notifications`) and its outbox and inbox tables."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from taskflow.common.clock import utcnow as utcnow  # the service's clock, one for every service
from taskflow.common.db import make_metadata
from taskflow.common.ids import new_id as new_id  # the primary keys' default
from taskflow.events import inbox_table
from taskflow.events.outbox import Outbox, outbox_table

SCHEMA = "notifications"


class Base(DeclarativeBase):
    """Declarative base of every table of this service."""

    metadata = make_metadata(SCHEMA)


#: Events this service publishes (notification.delivery_failed), written in the same
#: transaction as the delivery's final state and published by the worker's relay.
outbox_rows = outbox_table(Base.metadata)
OUTBOX = Outbox(outbox_rows, source="taskflow/notifications")
#: Event ids the consumer has handled (its idempotency record), written with each effect.
inbox = inbox_table(Base.metadata)
