"""The scope matrix names a route that declares no scope, and one that drifts from its policy."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from taskflow.common.scopes import Scope
from taskflow.common.security import public, require_scope
from taskflow.testing.scopes import PUBLIC, check_declarations


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/things", dependencies=[require_scope(Scope.TASKS_READ)])
    async def things() -> list[str]:
        return []

    @app.get("/open", dependencies=[public("a test")])
    async def open_route() -> list[str]:
        return []

    return app


POLICY = {("GET", "/things"): {"tasks:read"}, ("GET", "/open"): PUBLIC}


def test_declared_routes_matching_the_policy_pass() -> None:
    check_declarations(_app(), POLICY)


def test_a_route_added_without_a_declaration_fails_by_name() -> None:
    app = _app()

    @app.delete("/things/{thing_id}")
    async def delete_thing(thing_id: str) -> None:
        """Added by another branch, without a scope."""

    with pytest.raises(AssertionError, match=r"DELETE /things/\{thing_id\}"):
        check_declarations(app, POLICY)


def test_a_changed_declaration_fails() -> None:
    with pytest.raises(AssertionError, match=r"GET /things: declared \['tasks:read'\]"):
        check_declarations(_app(), {**POLICY, ("GET", "/things"): {"tasks:write"}})
