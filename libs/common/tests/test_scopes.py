"""Scope declarations: enforced before anything else, public routes, OpenAPI, enumeration."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from common_testkit import AppFactory, Keys, client_for
from fastapi import APIRouter, Depends, FastAPI, WebSocket

from taskflow.common.errors import NotFound
from taskflow.common.scopes import ROLE_SCOPES, Scope, format_scopes, scopes_for_roles
from taskflow.common.security import (
    CurrentPrincipal,
    ScopeRequirement,
    in_band_scope,
    public,
    require_scope,
    route_scopes,
)

router = APIRouter()
reached: list[str] = []


async def membership(project_id: str) -> str:
    """Stands for a project-role check: it must never run for a token without the scope."""
    reached.append(project_id)
    raise NotFound("No such project.")


@router.delete("/projects/{project_id}", dependencies=[require_scope(Scope.TASKS_WRITE)])
async def delete_project(project_id: str, _: Annotated[str, Depends(membership)]) -> None:
    """Delete a project."""


@router.post("/members", dependencies=[require_scope(Scope.TASKS_WRITE, Scope.ACCOUNT_READ)])
async def add_member(who: CurrentPrincipal) -> dict[str, str]:
    """Add a member (looks the person up too)."""
    return {"ok": "yes"}


@router.get("/open", dependencies=[public("nobody needs a token for this")])
async def open_route() -> dict[str, str]:
    """A public route."""
    return {"ok": "yes"}


@router.get("/undeclared")
async def undeclared(who: CurrentPrincipal) -> dict[str, str]:
    return {"ok": "yes"}


@router.websocket("/ws")
async def ws(
    websocket: WebSocket,
    need: Annotated[ScopeRequirement, Depends(in_band_scope(Scope.NOTIFICATIONS_READ))],
) -> None:
    await websocket.accept()
    await websocket.close()


@pytest.fixture
def app(make_app: AppFactory) -> FastAPI:
    return make_app(router)


def _auth(keys: Keys, *scopes: str, **claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {keys.mint(scope=' '.join(scopes), **claims)}"}


async def test_missing_scope_is_refused_before_the_route_looks_anything_up(
    app: FastAPI, keys: Keys
) -> None:
    reached.clear()
    async with client_for(app) as c:
        # An admin's read-only token: the roles do not matter, the scope does.
        refused = await c.delete(
            "/projects/p1", headers=_auth(keys, "tasks:read", roles=["admin", "user"])
        )
        allowed = await c.delete("/projects/p2", headers=_auth(keys, "tasks:write"))
    assert refused.status_code == 403
    body = refused.json()
    assert body["code"] == "insufficient_scope"
    assert body["required_scopes"] == ["tasks:write"]
    assert "`tasks:write`" in body["detail"]
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.headers["www-authenticate"] == (
        'Bearer error="insufficient_scope", scope="tasks:write"'
    )
    # The membership check ran only for the token with the scope: nothing leaks to the other.
    assert reached == ["p2"]
    assert allowed.status_code == 404


async def test_every_declared_scope_is_needed(app: FastAPI, keys: Keys) -> None:
    async with client_for(app) as c:
        one = await c.post("/members", headers=_auth(keys, "tasks:write"))
        both = await c.post("/members", headers=_auth(keys, "tasks:write", "account:read"))
        none = await c.post("/members")
    assert one.status_code == 403
    assert one.json()["required_scopes"] == ["account:read"]
    assert both.status_code == 200
    assert none.status_code == 401


async def test_public_route_takes_no_token(app: FastAPI) -> None:
    async with client_for(app) as c:
        resp = await c.get("/open")
    assert resp.status_code == 200


def test_route_scopes_lists_every_route_with_its_declaration(app: FastAPI) -> None:
    found = {(r.kind, r.methods, r.path): r.requirement for r in route_scopes(app)}
    assert found[("http", ("DELETE",), "/projects/{project_id}")] == ScopeRequirement(
        frozenset({Scope.TASKS_WRITE})
    )
    assert found[("http", ("POST",), "/members")].scopes == {
        Scope.TASKS_WRITE,
        Scope.ACCOUNT_READ,
    }
    assert found[("http", ("GET",), "/open")].is_public
    assert found[("http", ("GET",), "/undeclared")] is None
    ws = found[("websocket", (), "/ws")]
    assert ws is not None
    assert ws.in_band
    assert ws.scopes == {Scope.NOTIFICATIONS_READ}
    # The app's own probes are declared public; FastAPI's docs pages are not routes of ours.
    assert found[("http", ("GET",), "/healthz")].is_public
    assert not any(path == "/openapi.json" for _, _, path in found)


def test_openapi_documents_the_scopes(app: FastAPI) -> None:
    doc = app.openapi()
    scheme = doc["components"]["securitySchemes"]["bearer"]
    assert scheme["scheme"] == "bearer"
    for scope in Scope:
        assert f"`{scope}`" in scheme["description"]
    op = doc["paths"]["/members"]["post"]
    assert op["security"] == [{"bearer": ["account:read", "tasks:write"]}]
    assert op["x-required-scopes"] == ["account:read", "tasks:write"]
    assert "Requires scope `account:read` and `tasks:write`." in op["description"]
    assert "insufficient_scope" in op["responses"]["403"]["description"]
    assert "401" in op["responses"]
    public_op = doc["paths"]["/open"]["get"]
    assert public_op["security"] == []
    assert public_op["x-required-scopes"] == []
    assert "nobody needs a token" in public_op["description"]
    assert "x-required-scopes" not in doc["paths"]["/undeclared"]["get"]


def test_declarations_refuse_nonsense() -> None:
    with pytest.raises(ValueError):
        require_scope()
    with pytest.raises(ValueError):
        require_scope("tasks:everything")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        public("  ")


def test_sessions_get_what_their_roles_allow() -> None:
    user = scopes_for_roles(["user"])
    assert Scope.TASKS_WRITE in user
    assert Scope.ACCOUNT_WRITE in user
    assert Scope.ADMIN not in user
    assert Scope.AUDIT_READ not in user
    assert Scope.AUDIT_READ in scopes_for_roles(["user", "auditor"])
    assert Scope.ADMIN not in scopes_for_roles(["auditor"])
    assert scopes_for_roles(["admin"]) == frozenset(Scope)
    assert scopes_for_roles(["root"]) == frozenset()
    assert set(ROLE_SCOPES) == {"admin", "auditor", "user"}
    assert format_scopes([Scope.TASKS_WRITE, "account:read"]) == "account:read tasks:write"
