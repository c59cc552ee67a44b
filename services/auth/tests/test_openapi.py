"""The committed openapi.json matches the app (regenerate with `make openapi`)."""

from __future__ import annotations

import json
from pathlib import Path

from taskflow.auth.main import build_app
from taskflow.common.openapi import render
from taskflow.testing.threads import threaded_calls

COMMITTED = Path(__file__).resolve().parents[1] / "openapi.json"


def test_openapi_document_has_not_drifted() -> None:
    current = json.loads(render(build_app()))
    committed = json.loads(COMMITTED.read_text())
    assert current == committed, "services/auth/openapi.json is stale: run `make openapi`"


def test_every_operation_has_an_id_a_tag_and_a_summary() -> None:
    doc = json.loads(render(build_app()))
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert op.get("operationId"), (method, path)
            assert op.get("tags"), (method, path)
            assert op.get("description") or op.get("summary"), (method, path)


def test_no_endpoint_or_dependency_runs_in_a_worker_thread(app):
    # A plain `def` dependency costs a thread-pool round trip per request (see threads.py).
    assert threaded_calls(app) == []
