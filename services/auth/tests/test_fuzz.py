"""Schemathesis over the auth API (see taskflow.testing.fuzz and docs/fuzzing.md).

Each operation starts from empty tables (the signing keys stay) with a real admin, signed in
through the API (a token auth verifies against its own published keys), a personal access
token and a second user, so that generated cases reach past the 404s to the real work.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from auth_testkit import PASSWORD
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from taskflow.auth.config import Settings
from taskflow.auth.main import build_app
from taskflow.testing.fuzz import Fuzzer, operations

OPENAPI = Path(__file__).parents[1] / "openapi.json"


@pytest.fixture(scope="module")
def fuzzer(make_settings: Callable[..., Settings]) -> Iterator[Fuzzer]:
    """An app of the fuzz run's own (served on schemathesis's loop)."""
    fuzzer = Fuzzer(build_app(make_settings()))
    try:
        yield fuzzer
    finally:
        fuzzer.close()


def register(f: Fuzzer, email: str) -> dict[str, Any]:
    body = {"email": email, "password": PASSWORD, "display_name": "Fuzz"}
    return dict(f.ok("POST", "/api/v1/auth/register", json=body))


@pytest.mark.parametrize("operation", operations(OPENAPI))
async def test_fuzz(operation: str, fuzzer: Fuzzer, clean: None, auth_engine: AsyncEngine) -> None:
    admin = register(fuzzer, "admin@example.com")
    other = register(fuzzer, "other@example.com")
    async with auth_engine.begin() as conn:
        await conn.execute(
            text("UPDATE auth.users SET roles = ARRAY['user', 'admin']::varchar[] WHERE id = :id"),
            {"id": admin["id"]},
        )
    pair = fuzzer.ok(
        "POST", "/api/v1/auth/login", json={"email": admin["email"], "password": PASSWORD}
    )
    fuzzer.token = pair["access_token"]
    pat = fuzzer.ok("POST", "/api/v1/auth/tokens", json={"name": "ci", "scopes": ["tasks:read"]})
    sessions = fuzzer.ok("GET", "/api/v1/auth/sessions")
    fuzzer.run(
        operation,
        path_values={
            "user_id": [admin["id"], other["id"]],
            "token_id": [pat["id"]],
            "session_id": [s["id"] for s in sessions["items"]],
        },
    )
