"""The system as a whole answers through nginx: health, documents, headers, errors."""

from __future__ import annotations

import json

import httpx
import pytest

from e2e.clients import GeneratedClient, make_http
from e2e.conftest import client_for
from e2e.harness import ROOT, SERVICES, System


async def test_gateway_answers_and_unknown_api_route_is_problem_json(system: System) -> None:
    """nginx is up in front of the services; an unknown /api route is a problem+json 404."""
    async with make_http(system.gateway_url) as http:
        health = await http.get("/healthz")
        assert health.status_code == 200
        missing = await http.get("/api/v1/nothing-here/at-all")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    body = missing.json()
    assert body["status"] == 404
    assert body["code"] == "not_found"
    assert body["instance"] == "/api/v1/nothing-here/at-all"


@pytest.mark.parametrize("service", SERVICES)
async def test_served_openapi_matches_committed_and_client_generates(
    service: str, system: System, clients: dict[str, GeneratedClient | Exception]
) -> None:
    """Each service's document, fetched through the gateway, is the committed one."""
    info = system.services[service]
    if not info.available:
        pytest.skip(f"{service} not built yet: {info.missing}")
    committed = json.loads((ROOT / "services" / service / "openapi.json").read_text())
    async with make_http(system.gateway_url) as http:
        served = await http.get(f"/api/openapi/{service}.json")
    assert served.status_code == 200, served.text[:300]
    assert served.json() == committed, (
        f"{service}: the running api serves another OpenAPI document than the committed "
        "openapi.json (run `make openapi`, or the service changed while this run started)"
    )
    generated = client_for(clients, service)
    assert generated.operations, f"{service}: the generated client has no operations"


@pytest.mark.parametrize("service", SERVICES)
async def test_security_headers_and_request_id_on_service_answers(
    service: str, system: System
) -> None:
    """A real service answer through nginx carries the security headers and a request id."""
    info = system.services[service]
    if not info.available:
        pytest.skip(f"{service} not built yet: {info.missing}")
    paths = {
        "auth": "/api/v1/users/me",
        "tasks": "/api/v1/projects",
        "notifications": "/api/v1/notifications",
        "audit": "/api/v1/audit/events",
        "reporting": "/api/v1/reports/me",
    }
    async with make_http(system.gateway_url) as http:
        response = await http.get(paths[service], headers={"X-Request-ID": f"e2e-{service}-1"})
    # Without a token every one of these is the service's own 401 problem (not nginx's).
    assert response.status_code == 401, response.text[:300]
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 401
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-request-id"] == f"e2e-{service}-1"


async def test_every_api_is_ready_directly(system: System) -> None:
    """Each started api answers /readyz itself (its DB, broker and Redis reachable)."""
    async with httpx.AsyncClient(timeout=5) as http:
        for service in system.running:
            response = await http.get(f"{system.direct_url(service)}/readyz")
            assert response.status_code == 200, f"{service}: {response.text[:300]}"
