"""The tasks api: `app = build_app()`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from taskflow.common.app import create_app
from taskflow.common.security import KeySource
from taskflow.tasks.config import Settings
from taskflow.tasks.users.client import AuthDirectory

#: The one route allowed a larger body: CSV import (the same pattern as the gateway's location).
IMPORT_PATH = r"/api/v1/projects/[^/]+/import"

TAGS = [
    {"name": "projects", "description": "Projects and their settings."},
    {"name": "members", "description": "Who belongs to a project, with which role."},
    {"name": "invitations", "description": "Addresses without an account invited to a project."},
    {"name": "labels", "description": "Labels of a project."},
    {"name": "milestones", "description": "Milestones of a project."},
    {"name": "workflows", "description": "A project's statuses: board columns and WIP limits."},
    {"name": "tasks", "description": "Tasks, lists, search and the trash."},
    {"name": "dependencies", "description": "Tasks that block other tasks."},
    {"name": "bulk", "description": "Many task changes at once, all or nothing."},
    {"name": "comments", "description": "Comments on tasks, with @mentions."},
    {"name": "activity", "description": "Who changed what, before and after."},
    {"name": "views", "description": "Saved task-list filters."},
    {"name": "transfer", "description": "Export and import of a project's tasks."},
    {"name": "webhooks", "description": "Outgoing webhooks of a project (Standard Webhooks)."},
]


def routers() -> list[Any]:
    """Every router of the api, in the order their paths should appear."""
    from taskflow.tasks.activity.router import router as activity_router
    from taskflow.tasks.comments.router import router as comments_router
    from taskflow.tasks.dependencies.router import router as dependencies_router
    from taskflow.tasks.invitations.router import router as invitations_router
    from taskflow.tasks.labels.router import router as labels_router
    from taskflow.tasks.milestones.router import router as milestones_router
    from taskflow.tasks.projects.router import router as projects_router
    from taskflow.tasks.tasks.bulk_router import router as bulk_router
    from taskflow.tasks.tasks.moves_router import router as moves_router
    from taskflow.tasks.tasks.router import router as tasks_router
    from taskflow.tasks.tasks.transfer_router import router as transfer_router
    from taskflow.tasks.views.router import router as views_router
    from taskflow.tasks.webhooks.router import router as webhooks_router
    from taskflow.tasks.workflows.router import router as workflows_router

    # Invitations first: `/projects/invitations/lookup` must not be read as a project id.
    return [
        invitations_router, projects_router, workflows_router, labels_router, milestones_router,
        bulk_router, tasks_router, moves_router, dependencies_router, comments_router,
        activity_router,
        views_router, transfer_router, webhooks_router,
    ]  # fmt: skip


def build_app(settings: Settings | None = None, key_source: KeySource | None = None) -> FastAPI:
    """The tasks api on `settings` (from the environment when None)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await app.state.directory.aclose()

    app = create_app(
        settings,
        routers=routers(),
        title="Taskflow tasks",
        key_source=key_source,
        lifespan=lifespan,
        openapi_tags=TAGS,
        description="Projects, members, tasks, comments, search, bulk changes and recurring work.",
        # CSV imports may be larger than ordinary JSON bodies (the gateway allows the same).
        body_limits={IMPORT_PATH: settings.import_max_bytes},
    )
    # The breaker's shared state goes through the app's async client (with its timeouts).
    app.state.directory = AuthDirectory(settings, app.state.redis)
    return app


app = build_app()
