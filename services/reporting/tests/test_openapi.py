"""The committed openapi.json is what the app serves (regenerate: make openapi)."""

from __future__ import annotations

import json
from pathlib import Path

from taskflow.reporting.main import build_app
from taskflow.testing.threads import threaded_calls

COMMITTED = Path(__file__).parents[1] / "openapi.json"


def test_openapi_matches_the_committed_document() -> None:
    served = build_app().openapi()
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert served == committed, "openapi.json drifted: run `make openapi` and commit it"


def test_every_operation_has_an_id_a_tag_and_documented_errors() -> None:
    doc = build_app().openapi()
    for path, item in doc["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, op in item.items():
            assert op.get("operationId"), (method, path)
            assert op.get("tags"), (method, path)
            assert "401" in op["responses"], (method, path)
            assert "text/csv" in op["responses"]["200"]["content"], (method, path)


def test_no_endpoint_or_dependency_runs_in_a_worker_thread(app):
    # A plain `def` dependency costs a thread-pool round trip per request (see threads.py).
    assert threaded_calls(app) == []
