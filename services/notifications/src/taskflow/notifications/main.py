"""The notifications api: `app = build_app()` (HTTP routes and the WebSocket)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI

from taskflow.common.app import create_app
from taskflow.common.errors import Forbidden, Unauthorized, errors
from taskflow.common.scopes import Scope
from taskflow.common.security import KeySource, require_roles, require_scope
from taskflow.events.admin import parking_router
from taskflow.notifications.config import Settings
from taskflow.notifications.context import Context
from taskflow.notifications.live.hub import Hub

TAGS = [
    {"name": "notifications", "description": "The caller's in-app notifications."},
    {"name": "preferences", "description": "Which kinds of notification go to which channel."},
    {"name": "calendar", "description": "The private ICS feed of the caller's due tasks."},
    {
        "name": "deliveries",
        "description": "Email and calendar deliveries and their attempts (admin).",
    },
    {"name": "parked", "description": "Events the consumer could not handle (admin)."},
]


def routers() -> list[Any]:
    """Every router, fixed paths before parameterised ones."""
    from taskflow.notifications.calendar.router import router as calendar_router
    from taskflow.notifications.deliveries.router import router as deliveries_router
    from taskflow.notifications.live.router import router as live_router
    from taskflow.notifications.notifications.router import router as notifications_router
    from taskflow.notifications.preferences.router import router as preferences_router
    from taskflow.notifications.worker import QUEUE

    parked = APIRouter(prefix="/api/v1/notifications", dependencies=[require_scope(Scope.ADMIN)])
    parked.include_router(
        parking_router(
            QUEUE,
            lambda request: request.app.state.settings.amqp_url.get_secret_value(),
            require_roles("admin"),
            tag="parked",
        ),
        responses=errors(Unauthorized, Forbidden),
    )
    return [
        preferences_router,
        deliveries_router,
        parked,
        notifications_router,
        calendar_router,
        live_router,
    ]


def build_app(settings: Settings | None = None, key_source: KeySource | None = None) -> FastAPI:
    """The notifications api on `settings` (from the environment when None)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await app.state.hub.start()
        try:
            yield
        finally:
            await app.state.hub.stop()

    app = create_app(
        settings,
        routers=routers(),
        title="Taskflow notifications",
        key_source=key_source,
        lifespan=lifespan,
        openapi_tags=TAGS,
        description="In-app and live notifications, preferences, the calendar feed and deliveries.",
    )
    app.state.ctx = Context(settings=settings, redis=app.state.redis)
    hub = Hub(app.state.redis, settings.redis_prefix)
    app.state.hub = hub

    async def live_subscribed() -> None:
        """Ready only while the replica's pub/sub subscription is up (live pushes flow)."""
        if not hub.subscribed.is_set():
            raise RuntimeError("pub/sub not subscribed")

    app.state.readiness_checks["live"] = live_subscribed
    return app


app = build_app()
