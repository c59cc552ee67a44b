"""API shapes of the calendar feed."""

from __future__ import annotations

from pydantic import BaseModel


class FeedRead(BaseModel):
    """The caller's private feed URL; shown once, only a hash of its secret is stored."""

    url: str
