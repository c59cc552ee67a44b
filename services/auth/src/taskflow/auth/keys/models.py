"""RS256 signing keys, private half encrypted with the KEK."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Index, LargeBinary, String, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from taskflow.auth.db import Base


class SigningKey(Base):
    """One key. Exactly one has `rotated_at` NULL (the active one); the others stay
    published until `retire_after`, when every token they signed has expired."""

    __tablename__ = "signing_keys"
    __table_args__ = (
        # At most one active key, enforced by the database (two replicas racing on first start).
        Index(
            "uq_signing_keys_one_active",
            text("(rotated_at IS NULL)"),
            unique=True,
            postgresql_where=text("rotated_at IS NULL"),
        ),
    )

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: PKCS#8 PEM, AES-GCM encrypted with context `signing-key:<kid>`.
    private_key_enc: Mapped[bytes] = mapped_column(LargeBinary)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    rotated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    retire_after: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
