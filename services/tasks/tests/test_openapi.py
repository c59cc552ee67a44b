"""The committed openapi.json is what the app serves (regenerate: make openapi)."""

from __future__ import annotations

import json
from pathlib import Path

from taskflow.common import openapi as common_openapi  # noqa: F401  (installs the post-processor)
from taskflow.testing.threads import threaded_calls

COMMITTED = Path(__file__).resolve().parents[1] / "openapi.json"


def test_openapi_matches_committed(app):
    assert json.loads(COMMITTED.read_text()) == json.loads(json.dumps(app.openapi())), (
        "services/tasks/openapi.json drifted: run `make openapi`"
    )


def test_every_operation_has_id_tag_and_docs(app):
    doc = app.openapi()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert op.get("operationId"), (method, path)
            assert op.get("tags"), (method, path)
            assert op.get("description") or op.get("summary"), (method, path)
            if path.startswith("/api/"):
                assert "422" in op["responses"], (method, path)


def test_no_endpoint_or_dependency_runs_in_a_worker_thread(app):
    # A plain `def` dependency costs a thread-pool round trip per request (see threads.py).
    assert threaded_calls(app) == []
