"""One row of preferences per user (only what differs from the defaults is meaningful)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, Integer, String, func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from taskflow.notifications.db import Base


class Preferences(Base):
    """A user's channel choices per kind and digest settings."""

    __tablename__ = "preferences"

    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    kinds: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    digest: Mapped[str] = mapped_column(String(10), default="off", server_default="off")
    digest_hour: Mapped[int] = mapped_column(Integer, default=8, server_default="8")
    last_digest_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
