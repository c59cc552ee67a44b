"""What the gateway itself promises: routing without rewrites, headers, limits, errors."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import httpx
import pytest

SERVICE_PATHS = [
    "/api/v1/auth/me-ish",
    "/api/v1/users/123",
    "/api/v1/projects/1/tasks",
    "/api/v1/tasks/abc",
    "/api/v1/labels/x",
    "/api/v1/milestones/x",
    "/api/v1/comments/x",
    "/api/v1/views",
    "/api/v1/webhooks/x/attempts",
    "/api/v1/notifications/unread-count",
    "/api/v1/calendar/feed",
    "/api/v1/audit/events",
    "/api/v1/reports/me",
]


@pytest.mark.parametrize("path", SERVICE_PATHS)
async def test_routes_by_prefix_without_rewriting(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path + "?a=1")
    assert response.status_code == 200
    body = response.json()
    assert body["path"] == path
    assert body["query"] == "a=1"


async def test_request_id_is_made_and_passed_on(client: httpx.AsyncClient) -> None:
    made = await client.get("/api/v1/tasks/x")
    rid = made.headers["x-request-id"]
    assert len(rid) >= 16
    assert made.json()["headers"]["x-request-id"] == rid

    passed = await client.get("/api/v1/tasks/x", headers={"X-Request-ID": "abc-123"})
    assert passed.headers["x-request-id"] == "abc-123"
    assert passed.json()["headers"]["x-request-id"] == "abc-123"

    hostile = await client.get("/api/v1/tasks/x", headers={"X-Request-ID": 'a b"c'})
    assert hostile.headers["x-request-id"] != 'a b"c'


async def test_security_headers_on_api_spa_and_errors(client: httpx.AsyncClient) -> None:
    for path in ("/api/v1/tasks/x", "/", "/some/spa/route", "/api/nope"):
        response = await client.get(path)
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["referrer-policy"] == "no-referrer", path
        directives = (d.strip() for d in headers["content-security-policy"].split(";"))
        csp = {name: value.strip() for name, _, value in (d.partition(" ") for d in directives)}
        # ASVS 5.0 3.4.3: a global policy with at least object-src and base-uri 'none' (a
        # `<base>` injected into a page would otherwise re-point every relative script URL).
        assert csp["object-src"] == "'none'", (path, csp)
        assert csp["base-uri"] == "'none'", (path, csp)
        assert csp["frame-ancestors"] == "'none'", (path, csp)
        assert csp["default-src"] == "'self'", (path, csp)
        assert csp["script-src"] == "'self'", (path, csp)
        assert "strict-transport-security" not in headers, path  # HSTS only over TLS


async def test_unknown_api_route_is_problem_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v2/whatever")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 404
    assert body["code"] == "not_found"
    assert body["instance"] == "/api/v2/whatever"


async def test_spa_fallback_and_asset_caching(client: httpx.AsyncClient) -> None:
    page = await client.get("/projects/OPS/board")
    assert page.status_code == 200
    assert "<div id=root>" in page.text
    assert page.headers["cache-control"] == "no-cache"

    asset = await client.get("/assets/app-3f9a.js", headers={"Accept-Encoding": "gzip"})
    assert asset.status_code == 200
    assert "immutable" in asset.headers["cache-control"]
    assert asset.headers.get("content-encoding") == "gzip"

    missing = await client.get("/assets/missing.js")
    assert missing.status_code == 404


async def test_gzip_on_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/tasks/x", headers={"Accept-Encoding": "gzip"})
    assert response.headers.get("content-encoding") == "gzip"
    assert response.json()["path"] == "/api/v1/tasks/x"


async def test_body_size_limit_is_problem_json(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/tasks/x", content=b"x" * (1024 * 1024 + 10))
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "payload_too_large"


async def test_login_rate_limit_gives_problem_429(client: httpx.AsyncClient) -> None:
    statuses = []
    for _ in range(8):
        response = await client.post("/api/v1/auth/login", json={"email": "a@b.c"})
        statuses.append(response.status_code)
        if response.status_code == 429:
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["code"] == "rate_limited"
            assert response.headers["retry-after"]
    assert 429 in statuses
    assert statuses[0] == 200
    # The general API budget is separate and still open.
    assert (await client.get("/api/v1/tasks/x")).status_code == 200


async def test_email_change_routes_share_the_strict_budget(client: httpx.AsyncClient) -> None:
    """Asking to change one's address checks the password and sends mail: guessing it through
    a stolen session must meet the login budget, not the general one."""
    statuses = [
        (await client.post("/api/v1/users/me/email", json={})).status_code for _ in range(8)
    ]
    assert 429 in statuses
    statuses = [
        (await client.post("/api/v1/auth/email/confirm", json={})).status_code for _ in range(8)
    ]
    assert 429 in statuses
    assert (await client.get("/api/v1/users/me")).status_code == 200


async def test_healthz_and_docs_page(client: httpx.AsyncClient) -> None:
    health = await client.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    docs = await client.get("/api/docs")
    assert docs.status_code == 200
    for service in ("auth", "tasks", "notifications", "audit", "reporting"):
        assert f"/api/openapi/{service}.json" in docs.text
    spec = await client.get("/api/openapi/tasks.json")
    assert spec.json()["path"] == "/openapi.json"


async def test_websocket_upgrade_is_proxied(gateway: str) -> None:
    import websockets

    url = gateway.replace("http://", "ws://") + "/api/v1/ws"
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"type": "auth", "token": "x"}))
        message = json.loads(await ws.recv())
    assert message["path"] == "/api/v1/ws"


def test_render_refuses_unknown_placeholders(tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import render

    with pytest.raises(KeyError):
        render.fill("listen ${NOT_A_SETTING};", {})
    assert render.fill("a ${X} $host", {"X": "1"}) == "a 1 $host"


async def test_tls_server_block_serves_the_same_routes_with_hsts(gateway_run) -> None:
    async with httpx.AsyncClient(base_url=gateway_run.tls_url, verify=False, timeout=10) as tls:
        response = await tls.get("/api/v1/projects/1?x=2")
        assert response.status_code == 200
        assert response.json()["path"] == "/api/v1/projects/1"
        assert "max-age=" in response.headers["strict-transport-security"]
        assert response.headers["x-content-type-options"] == "nosniff"
        spa = await tls.get("/board")
        assert "strict-transport-security" in spa.headers
        error = await tls.get("/api/nope")
        assert error.status_code == 404
        assert "strict-transport-security" in error.headers


async def test_access_log_is_json_without_query_strings(
    client: httpx.AsyncClient, gateway_run
) -> None:
    marker = "log-probe-7f3a"
    await client.get(f"/api/v1/tasks/{marker}?secret=hunter2", headers={"X-Request-ID": marker})
    log_file = gateway_run.folder / "logs" / "access.log"
    entries = []
    for _ in range(50):  # nginx writes the line after the response; poll briefly
        entries = [json.loads(line) for line in log_file.read_text().splitlines() if marker in line]
        if entries:
            break
        await asyncio.sleep(0.05)
    assert entries, "no access log line for the probe"
    entry = entries[-1]
    assert entry["request_id"] == marker
    assert entry["uri"] == f"/api/v1/tasks/{marker}"
    assert entry["status"] == 200
    assert "hunter2" not in log_file.read_text()


async def test_calendar_feed_secret_never_reaches_nginx_logs(
    client: httpx.AsyncClient, gateway_run
) -> None:
    """The feed's path is its secret: routed as is, logged as the route's template."""
    secret = "feedsecret-" + "Zq9" * 10
    marker = "feed-log-probe-51c2"
    response = await client.get(
        f"/api/v1/calendar/feeds/{secret}.ics?x=1", headers={"X-Request-ID": marker}
    )
    assert response.status_code == 200
    assert response.json()["path"] == f"/api/v1/calendar/feeds/{secret}.ics"
    log_dir = gateway_run.folder / "logs"
    entries = []
    for _ in range(50):
        text = (log_dir / "access.log").read_text()
        entries = [json.loads(line) for line in text.splitlines() if marker in line]
        if entries:
            break
        await asyncio.sleep(0.05)
    assert entries, "no access log line for the feed"
    assert entries[-1]["uri"] == "/api/v1/calendar/feeds/{secret}.ics"
    for path in log_dir.iterdir():
        assert secret not in path.read_text(errors="replace"), path.name
