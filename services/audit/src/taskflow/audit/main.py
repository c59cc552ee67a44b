"""The audit api: `app = build_app()` (uvicorn `taskflow.audit.main:app`)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from taskflow.audit.config import Settings
from taskflow.audit.entries.router import router as entries_router
from taskflow.audit.reports.router import router as reports_router
from taskflow.audit.retention.router import router as retention_router
from taskflow.common.app import create_app
from taskflow.common.scopes import Scope
from taskflow.common.security import KeySource, require_roles, require_scope
from taskflow.events.admin import parking_router

TAGS = [
    {"name": "audit", "description": "The tamper-evident log: search, verify, export."},
    {"name": "reports", "description": "Compliance reports."},
    {"name": "retention", "description": "Retention policy and legal holds."},
    {"name": "admin", "description": "Parked (failed) events: list and replay (admins only)."},
]


def build_app(settings: Settings | None = None, key_source: KeySource | None = None) -> FastAPI:
    """The api on its read-only role; verification and exports read one consistent snapshot."""
    settings = settings or Settings()
    parking = APIRouter(prefix="/api/v1/audit/admin", dependencies=[require_scope(Scope.ADMIN)])
    parking.include_router(
        parking_router(
            settings.queue,
            lambda request: request.app.state.settings.amqp_url.get_secret_value(),
            require_roles("admin"),
            exchange=settings.events_exchange,
        )
    )
    app = create_app(
        settings,
        routers=[entries_router, reports_router, retention_router, parking],
        title="Taskflow audit",
        description="The append-only, hash-chained audit log (auditors and admins only).",
        key_source=key_source,
        openapi_tags=TAGS,
    )
    # Long reads (verify, export, reports) see one snapshot while the consumer appends.
    app.state.snapshot = app.state.db.engine.execution_options(
        isolation_level="REPEATABLE READ", postgresql_readonly=True
    )
    return app


app = build_app()
