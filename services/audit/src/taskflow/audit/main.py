"""The audit api: `app = build_app()` (uvicorn `taskflow.audit.main:app`)."""

from __future__ import annotations

from fastapi import FastAPI

from taskflow.audit.config import Settings
from taskflow.audit.entries.router import router as entries_router
from taskflow.audit.reports.router import router as reports_router
from taskflow.audit.retention.router import router as retention_router
from taskflow.common.app import create_app
from taskflow.common.security import KeySource

TAGS = [
    {"name": "audit", "description": "The tamper-evident log: search, verify, export."},
    {"name": "reports", "description": "Compliance reports."},
    {"name": "retention", "description": "Retention policy and legal holds."},
]


def build_app(settings: Settings | None = None, key_source: KeySource | None = None) -> FastAPI:
    """The api on its read-only role; verification and exports read one consistent snapshot."""
    settings = settings or Settings()
    app = create_app(
        settings,
        routers=[entries_router, reports_router, retention_router],
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
