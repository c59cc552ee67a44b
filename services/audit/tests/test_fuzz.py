"""Schemathesis over the audit API (see taskflow.testing.fuzz and docs/fuzzing.md).

Each operation starts from an empty log holding a few entries of one project, read by a caller
who is an admin and an auditor (the log is theirs only), so that generated cases reach past
the 404s to the real work: search, verify, export, reports, retention and legal holds.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from taskflow.testing.fuzz import Fuzzer, operations
from taskflow.testing.scopes import ALL_ROLES

OPENAPI = Path(__file__).parents[1] / "openapi.json"


@pytest.fixture(scope="module")
def fuzzer(settings: Any, key_source: Any, mint_token: Callable[..., str]) -> Iterator[Fuzzer]:
    """An app of the fuzz run's own (served on schemathesis's loop)."""
    from taskflow.audit.main import build_app

    token = mint_token(uuid.uuid4(), roles=ALL_ROLES)
    fuzzer = Fuzzer(build_app(settings, key_source=key_source), token)
    try:
        yield fuzzer
    finally:
        fuzzer.close()


@pytest.mark.parametrize("operation", operations(OPENAPI))
async def test_fuzz(
    operation: str,
    fuzzer: Fuzzer,
    clean: AsyncEngine,
    owner_engine: AsyncEngine,
    h: SimpleNamespace,
) -> None:
    project = uuid.uuid4()
    items = [h.item(i, project_id=project) for i in range(5)]
    await h.seed(owner_engine, items)
    fuzzer.run(
        operation,
        path_values={
            "event_id": [str(i.event_id) for i in items],
            "project_id": [str(project)],
        },
    )
