"""The committed openapi.json is what the app serves (regenerate: make openapi)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from taskflow.notifications.main import build_app
from taskflow.testing.threads import threaded_calls

COMMITTED = Path(__file__).parents[1] / "openapi.json"


def test_openapi_matches_the_committed_document(settings: Any) -> None:
    served = build_app(settings).openapi()
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert served == committed, "openapi.json drifted: run `make openapi` and commit it"


def test_every_operation_has_an_id_a_tag_a_summary_and_its_errors(settings: Any) -> None:
    doc = build_app(settings).openapi()
    public = {"calendar_feed_get"}
    for path, item in doc["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, op in item.items():
            assert op.get("operationId"), (method, path)
            assert op.get("tags"), (method, path)
            assert op.get("description") or op.get("summary"), (method, path)
            if op["operationId"] not in public:
                assert "401" in op["responses"], (method, path)


def test_no_endpoint_or_dependency_runs_in_a_worker_thread(app):
    # A plain `def` dependency costs a thread-pool round trip per request (see threads.py).
    assert threaded_calls(app) == []
