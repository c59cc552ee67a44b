"""ORM base of the tasks schema, and its outbox and inbox tables.

Every table lives in schema `tasks` (bound through the metadata) so the service role never
needs a search_path and never touches another service's schema.
"""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from taskflow.common.db import make_metadata
from taskflow.events import inbox_table
from taskflow.events.outbox import Outbox, outbox_table

SCHEMA = "tasks"
SOURCE = "taskflow/tasks"


class Base(DeclarativeBase):
    """Declarative base bound to the `tasks` schema with the shared naming convention."""

    metadata = make_metadata(SCHEMA)


outbox_rows = outbox_table(Base.metadata)
inbox = inbox_table(Base.metadata)

#: The one outbox writer of the service: `await OUTBOX.add(session, event, actor_id=...)`.
OUTBOX = Outbox(outbox_rows, SOURCE)
