"""The app factory: problems, request ids, logs, limits, health, metrics, OpenAPI."""

import io
import json
import subprocess
import sys
import uuid
from typing import Any

import pytest
from common_helpers import AppFactory, client_for
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from taskflow.common.errors import NotFound, errors
from taskflow.common.logging import configure_logging, get_logger

router = APIRouter()


class Login(BaseModel):
    email: str
    password: str
    attempts: int = 0


@router.post("/login", responses=errors(NotFound))
async def login(body: Login) -> dict[str, Any]:
    """Log in."""
    get_logger("test").info("login", email=body.email, password=body.password, token="t0k3n")
    return {"ok": True}


@router.get("/items/{item_id}")
async def item(item_id: int) -> dict[str, int]:
    """An item."""
    if item_id == 0:
        raise NotFound("No such item.")
    return {"id": item_id}


@router.get("/boom")
async def boom() -> dict[str, str]:
    """Fails."""
    raise RuntimeError("db at 10.1.2.3 said no")


@pytest.fixture
def app(make_app: AppFactory) -> FastAPI:
    return make_app(router)


def _problem(resp: Any, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = resp.json()
    # Every member of the contract (ARCHITECTURE.md section 4), whatever raised the error.
    members = {"type", "title", "status", "detail", "instance", "code", "request_id"}
    assert members <= set(body), sorted(members - set(body))
    assert all(isinstance(body[k], str) and body[k] for k in members - {"status"}), body
    assert body["instance"] == resp.request.url.path
    assert body["code"] == code
    assert body["type"] == f"https://taskflow.dev/problems/{code}"
    assert body["status"] == status
    assert body["request_id"] == resp.headers["x-request-id"]
    return body


async def test_validation_error_never_echoes_input(app: FastAPI) -> None:
    async with client_for(app) as c:
        resp = await c.post(
            "/login", json={"email": "a@b.c", "password": "hunter2", "attempts": "x"}
        )
    body = _problem(resp, 422, "validation_error")
    assert body["errors"] == [
        {"loc": ["body", "attempts"], "msg": body["errors"][0]["msg"], "type": "int_parsing"}
    ]
    assert "hunter2" not in resp.text
    assert body["instance"] == "/login"


async def test_malformed_json_is_422_invalid_json(app: FastAPI) -> None:
    async with client_for(app) as c:
        resp = await c.post(
            "/login",
            content=b'{"password": "hunter2"',
            headers={"content-type": "application/json"},
        )
    _problem(resp, 422, "invalid_json")
    assert "hunter2" not in resp.text


async def test_a_body_of_bytes_that_are_not_text_is_422_invalid_json(app: FastAPI) -> None:
    # Found by fuzzing: FastAPI answered these with an undocumented 400.
    async with client_for(app) as c:
        resp = await c.post(
            "/login", content=b"\xff\xfe{\x00", headers={"content-type": "application/json"}
        )
    body = _problem(resp, 422, "invalid_json")
    assert body["errors"] == [{"loc": ["body"], "msg": "Invalid JSON", "type": "json_invalid"}]


async def test_http_errors_are_problems(app: FastAPI) -> None:
    async with client_for(app) as c:
        _problem(await c.get("/nowhere"), 404, "not_found")
        resp = await c.delete("/items/1")
        _problem(resp, 405, "method_not_allowed")
        assert "GET" in resp.headers["allow"]
        body = _problem(await c.get("/items/0"), 404, "not_found")
        assert body["detail"] == "No such item."


async def test_unhandled_exception_is_500_with_request_id_and_no_trace(app: FastAPI) -> None:
    stream = io.StringIO()
    configure_logging("INFO", json=True, stream=stream)
    async with client_for(app) as c:
        resp = await c.get("/boom", headers={"X-Request-ID": "req-42"})
    body = _problem(resp, 500, "internal_error")
    assert body["request_id"] == "req-42"
    assert "10.1.2.3" not in resp.text
    assert "Traceback" not in resp.text
    assert "RuntimeError" not in resp.text
    assert "said no" not in resp.text
    assert body["detail"] == "An unexpected error occurred; quote the request id."
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    logged = [x for x in lines if x["event"] == "unhandled_exception"]
    assert logged
    assert logged[0]["request_id"] == "req-42"
    assert "RuntimeError" in logged[0]["exception"]


@pytest.mark.parametrize(
    ("sent", "kept"),
    [("abc-123_X.y", True), ("x" * 129, False), ("bad id", False), ("a\u00e9", False)],
)
async def test_request_id_is_kept_only_when_sane(app: FastAPI, sent: str, kept: bool) -> None:
    async with client_for(app) as c:
        resp = await c.get("/items/1", headers={"X-Request-ID": sent.encode("utf-8")})
    assert (resp.headers["x-request-id"] == sent) is kept
    assert 0 < len(resp.headers["x-request-id"]) <= 128


async def test_logs_are_json_with_ids_redacted_and_no_query_string(app: FastAPI) -> None:
    stream = io.StringIO()
    configure_logging("INFO", json=True, stream=stream)
    trace = "0af7651916cd43dd8448eb211c80319c"
    async with client_for(app) as c:
        resp = await c.post(
            "/login?token=querysecret",
            json={"email": "a@b.c", "password": "hunter2"},
            headers={"X-Request-ID": "rid-1", "traceparent": f"00-{trace}-b7ad6b7169203331-01"},
        )
    assert resp.status_code == 200
    text = stream.getvalue()
    assert "hunter2" not in text
    assert "t0k3n" not in text
    assert "querysecret" not in text
    lines = [json.loads(line) for line in text.splitlines()]
    login = next(x for x in lines if x["event"] == "login")
    assert login["password"] == "[redacted]"
    assert login["token"] == "[redacted]"
    assert login["email"] == "a@b.c"
    assert login["request_id"] == "rid-1"
    assert login["trace_id"] == trace
    access = next(x for x in lines if x["event"] == "request")
    assert access["route"] == "/login"
    assert access["method"] == "POST"
    assert access["status"] == 200
    assert "duration_ms" in access
    assert access["request_id"] == "rid-1"
    assert "path" not in access  # only the template: raw paths carry ids and feed secrets


async def test_logs_carry_route_templates_not_raw_paths(app: FastAPI) -> None:
    stream = io.StringIO()
    configure_logging("INFO", json=True, stream=stream)
    async with client_for(app) as c:
        await c.get("/items/s3cr3t-in-path")
        await c.get("/boom/s3cr3t-unmatched")
    text = stream.getvalue()
    assert "s3cr3t" not in text
    routes = [json.loads(line).get("route") for line in text.splitlines()]
    assert "/items/{item_id}" in routes
    assert "<unmatched>" in routes


async def test_body_limit_can_be_raised_for_one_path(make_app: AppFactory, settings: Any) -> None:
    app = make_app(
        router,
        settings=settings.model_copy(update={"max_body_bytes": 100}),
        body_limits={r"/items/[^/]+/bulk": 1000},
    )

    @app.post("/items/{item_id}/bulk")
    async def bulk(item_id: int, body: dict[str, str]) -> dict[str, int]:
        """Takes a larger body."""
        return {"n": len(body["data"])}

    async with client_for(app) as c:
        ok = await c.post("/items/1/bulk", json={"data": "x" * 500})
        assert ok.status_code == 200, ok.text
        assert ok.json() == {"n": 500}
        _problem(await c.post("/items/1/bulk", json={"data": "x" * 1500}), 413, "payload_too_large")
        # every other path keeps the ordinary limit, with and without Content-Length
        _problem(
            await c.post("/login", json={"email": "a", "password": "p" * 200}),
            413,
            "payload_too_large",
        )

        async def chunks() -> Any:
            for _ in range(4):
                yield b"x" * 50

        resp = await c.post(
            "/login", content=chunks(), headers={"content-type": "application/json"}
        )
        _problem(resp, 413, "payload_too_large")


async def test_body_size_limit(make_app: AppFactory, settings: Any) -> None:
    app = make_app(router, settings=settings.model_copy(update={"max_body_bytes": 100}))
    async with client_for(app) as c:
        resp = await c.post("/login", json={"email": "a", "password": "p" * 200})
        _problem(resp, 413, "payload_too_large")

        async def chunks() -> Any:  # no Content-Length: counted while streaming
            for _ in range(10):
                yield b"x" * 50

        resp = await c.post(
            "/login", content=chunks(), headers={"content-type": "application/json"}
        )
        _problem(resp, 413, "payload_too_large")


async def test_health_and_readiness(make_app: AppFactory) -> None:
    async def fine() -> None:
        return None

    async def broken() -> None:
        raise ConnectionError("cannot reach smtp.internal.example:25")

    ok_app = make_app(router, readiness_checks={"smtp": fine})
    bad_app = make_app(router, readiness_checks={"smtp": broken})
    async with client_for(ok_app) as c:
        assert (await c.get("/healthz")).json() == {"status": "ok"}
        resp = await c.get("/readyz")
        assert resp.status_code == 200
        assert resp.json()["checks"] == ["database", "redis", "smtp"]
    async with client_for(bad_app) as c:
        assert (await c.get("/healthz")).status_code == 200
        resp = await c.get("/readyz")
    body = _problem(resp, 503, "not_ready")
    assert body["failed"] == ["smtp"]
    assert "smtp.internal" not in resp.text


async def test_readiness_fails_when_database_is_unreachable(
    make_app: AppFactory, settings: Any
) -> None:
    s = settings.model_copy(
        update={
            "database_url": settings.database_url.__class__("postgresql+asyncpg://x@127.0.0.1:1/x")
        }
    )
    app = make_app(router, settings=s)
    async with client_for(app) as c:
        resp = await c.get("/readyz")
    assert _problem(resp, 503, "not_ready")["failed"] == ["database"]


async def test_metrics_use_route_templates_and_per_app_registry(make_app: AppFactory) -> None:
    app1 = make_app(router)
    app2 = make_app(router)
    async with client_for(app1) as c:
        for i in (1, 2, 3):
            await c.get(f"/items/{i}")
        text = (await c.get("/metrics")).text
    assert 'http_requests_total{method="GET",route="/items/{item_id}",status="200"} 3.0' in text
    assert "/items/1" not in text
    assert "http_request_duration_seconds_bucket" in text
    async with client_for(app2) as c:
        assert "/items/{item_id}" not in (await c.get("/metrics")).text


def test_openapi_documents_problems(app: FastAPI) -> None:
    doc = app.openapi()
    assert "/healthz" not in doc["paths"]
    assert "/readyz" not in doc["paths"]
    assert "/metrics" not in doc["paths"]
    schemas = doc["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert "Problem" in schemas
    for path in doc["paths"].values():
        for op in path.values():
            ref = op["responses"]["422"]["content"]["application/problem+json"]["schema"]
            assert ref == {"$ref": "#/components/schemas/Problem"}
    login = doc["paths"]["/login"]["post"]["responses"]["404"]
    assert list(login["content"]) == ["application/problem+json"]
    # The body limit answers 413 before any route runs: documented wherever a body is taken.
    for path in doc["paths"].values():
        for op in path.values():
            assert ("413" in op["responses"]) == ("requestBody" in op)
    too_large = doc["paths"]["/login"]["post"]["responses"]["413"]
    assert list(too_large["content"]) == ["application/problem+json"]


def test_openapi_cli_writes_sorted_json(tmp_path: Any) -> None:
    out = tmp_path / "openapi.json"
    code = (
        "import sys; from taskflow.common.openapi import main; "
        "sys.exit(main(['taskflow_common_demo_app:app', sys.argv[1]]))"
    )
    (tmp_path / "taskflow_common_demo_app.py").write_text(
        "from fastapi import APIRouter\n"
        "from taskflow.common import create_app, ServiceSettings\n"
        "r = APIRouter()\n"
        "@r.get('/b')\nasync def b() -> dict[str, int]:\n    return {}\n"
        "@r.get('/a')\nasync def a() -> dict[str, int]:\n    return {}\n"
        "app = create_app(ServiceSettings(service_name='demo'), routers=[r])\n"
    )
    subprocess.run([sys.executable, "-c", code, str(out)], check=True, cwd=tmp_path, timeout=60)
    text = out.read_text()
    assert text.endswith("}\n")
    doc = json.loads(text)
    assert text == json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert list(doc["paths"]) == ["/a", "/b"]


class Note(BaseModel):
    title: str
    tags: list[str] = []
    extra: dict[str, Any] = {}


notes = APIRouter()


@notes.post("/notes")
async def add_note(note: Note, q: str | None = None) -> dict[str, Any]:
    """Take a note (stores nothing: the guard must refuse before any store could fail)."""
    return {"ok": True}


@pytest.mark.parametrize(
    ("body", "query", "loc"),
    [
        ({"title": "a\u0000b"}, "", ["body", "title"]),
        ({"title": "ok", "tags": ["x", "\u0000"]}, "", ["body", "tags", 1]),
        (
            {"title": "ok", "extra": {"deep": [{"k": "\ud800"}]}},
            "",
            ["body", "extra", "deep", 0, "k"],
        ),
        ({"title": "ok", "extra": {"k\u0000": 1}}, "", ["body", "extra", "k\ufffd"]),
        ({"title": "ok"}, "?q=a%00", ["query", "q"]),
    ],
)
async def test_unstorable_strings_are_422_naming_the_field(
    make_app: AppFactory, body: dict[str, Any], query: str, loc: list[Any]
) -> None:
    """NUL (PostgreSQL text refuses it) and lone surrogates (UTF-8 cannot encode them)."""
    app = make_app(notes)
    raw = json.dumps(body).encode()  # ensure_ascii: the escapes travel as \\u0000 / \\ud800
    async with client_for(app) as c:
        resp = await c.post(
            f"/notes{query}", content=raw, headers={"content-type": "application/json"}
        )
    problem = _problem(resp, 422, "validation_error")
    assert [e["loc"] for e in problem["errors"]] == [loc]
    assert problem["errors"][0]["type"] == "string_unstorable_character"


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "text/json"]
)
async def test_json_route_sent_another_media_type_is_415(
    make_app: AppFactory, content_type: str
) -> None:
    app = make_app(notes)
    async with client_for(app) as c:
        resp = await c.post(
            "/notes", content=b'{"title": "x"}', headers={"content-type": content_type}
        )
        _problem(resp, 415, "unsupported_media_type")
        for ok in ("application/json; charset=utf-8", "application/merge-patch+json"):
            resp = await c.post("/notes", content=b'{"title": "x"}', headers={"content-type": ok})
            assert resp.status_code == 200, (ok, resp.text)


async def test_no_interactive_docs_in_production(make_app: AppFactory, settings: Any) -> None:
    app = make_app(router, settings=settings.model_copy(update={"environment": "production"}))
    async with client_for(app) as c:
        for path in ("/docs", "/redoc"):
            assert (await c.get(path)).status_code == 404
    dev = make_app(router)
    async with client_for(dev) as c:
        assert (await c.get("/docs")).status_code == 200


async def test_metrics_include_the_breakers_of_the_process(
    make_app: AppFactory, aredis: Any, rprefix: str
) -> None:
    """An api's breaker (tasks' auth look-up) is scraped from the api's own /metrics."""
    from taskflow.common.resilience import AsyncCircuitBreaker

    name = f"api-{uuid.uuid4().hex[:6]}"
    breaker = AsyncCircuitBreaker(
        name, redis_client=aredis, prefix=rprefix, fail_max=1, reset_timeout=300, service="t"
    )

    async def failing() -> None:
        raise ConnectionError("down")

    with pytest.raises(ConnectionError):
        await breaker.call(failing)
    async with client_for(make_app(router)) as c:
        text = (await c.get("/metrics")).text
    assert f'taskflow_breaker_open{{breaker="{name}",service="t"}} 1.0' in text
    assert "http_requests_total" in text
