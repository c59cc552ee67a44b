"""The app factory: problems, request ids, logs, OpenAPI, what a route accepts."""

import io
import json
import subprocess
import sys
from typing import Any

import pytest
from common_testkit import AppFactory, client_for, demo_router, problem
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from taskflow.common.logging import configure_logging


@pytest.fixture
def app(make_app: AppFactory) -> FastAPI:
    return make_app(demo_router)


async def test_validation_error_never_echoes_input(app: FastAPI) -> None:
    async with client_for(app) as c:
        resp = await c.post(
            "/login", json={"email": "a@b.c", "password": "hunter2", "attempts": "x"}
        )
    body = problem(resp, 422, "validation_error")
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
    problem(resp, 422, "invalid_json")
    assert "hunter2" not in resp.text


async def test_a_body_of_bytes_that_are_not_text_is_422_invalid_json(app: FastAPI) -> None:
    # Found by fuzzing: FastAPI answered these with an undocumented 400.
    async with client_for(app) as c:
        resp = await c.post(
            "/login", content=b"\xff\xfe{\x00", headers={"content-type": "application/json"}
        )
    body = problem(resp, 422, "invalid_json")
    assert body["errors"] == [{"loc": ["body"], "msg": "Invalid JSON", "type": "json_invalid"}]


async def test_http_errors_are_problems(app: FastAPI) -> None:
    async with client_for(app) as c:
        problem(await c.get("/nowhere"), 404, "not_found")
        resp = await c.delete("/items/1")
        problem(resp, 405, "method_not_allowed")
        assert "GET" in resp.headers["allow"]
        body = problem(await c.get("/items/0"), 404, "not_found")
        assert body["detail"] == "No such item."


async def test_unhandled_exception_is_500_with_request_id_and_no_trace(app: FastAPI) -> None:
    stream = io.StringIO()
    configure_logging("INFO", json=True, stream=stream)
    async with client_for(app) as c:
        resp = await c.get("/boom", headers={"X-Request-ID": "req-42"})
    body = problem(resp, 500, "internal_error")
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
    answer = problem(resp, 422, "validation_error")
    assert [e["loc"] for e in answer["errors"]] == [loc]
    assert answer["errors"][0]["type"] == "string_unstorable_character"


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
        problem(resp, 415, "unsupported_media_type")
        for ok in ("application/json; charset=utf-8", "application/merge-patch+json"):
            resp = await c.post("/notes", content=b'{"title": "x"}', headers={"content-type": ok})
            assert resp.status_code == 200, (ok, resp.text)
