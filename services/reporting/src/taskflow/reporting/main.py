"""The reporting API: `app = build_app()`; everything shared comes from taskflow.common."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from taskflow.common.app import create_app
from taskflow.common.security import KeySource
from taskflow.reporting.config import Settings
from taskflow.reporting.reports.router import router as reports_router

DESCRIPTION = (
    "Reports on projects, milestones and people, computed from read models that the reporting "
    "worker builds from events. Every answer carries `as_of`, the time of the newest event "
    "applied, so a reader knows how fresh the figures are."
)


def build_app(settings: Settings | None = None, key_source: KeySource | None = None) -> FastAPI:
    """The FastAPI app of the reporting service."""
    settings = settings or Settings()
    tags: list[dict[str, Any]] = [
        {"name": "reports", "description": "Project, milestone, team and personal reports."}
    ]
    return create_app(
        settings,
        routers=[reports_router],
        title="Taskflow reporting",
        key_source=key_source,
        openapi_tags=tags,
        description=DESCRIPTION,
    )


app = build_app()
