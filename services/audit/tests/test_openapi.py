"""The committed openapi.json is what the app serves (regenerate with `make openapi`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from taskflow.testing.threads import threaded_calls

COMMITTED = Path(__file__).resolve().parents[1] / "openapi.json"


async def test_openapi_has_not_drifted(app: Any) -> None:
    from taskflow.audit.main import build_app

    fresh = build_app().openapi()
    assert json.loads(COMMITTED.read_text(encoding="utf-8")) == fresh, (
        "services/audit/openapi.json is stale: run `make openapi`"
    )


async def test_every_operation_is_documented(app: Any) -> None:
    doc = app.openapi()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert op.get("operationId"), (method, path)
            assert op.get("tags"), (method, path)
            assert op.get("summary") or op.get("description"), (method, path)
            assert any(code.startswith("4") for code in op["responses"]), (method, path)


def test_no_endpoint_or_dependency_runs_in_a_worker_thread(app):
    # A plain `def` dependency costs a thread-pool round trip per request (see threads.py).
    assert threaded_calls(app) == []
