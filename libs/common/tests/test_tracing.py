"""Trace context at the edge, and OpenTelemetry export (off by default, OTLP when set)."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from common_testkit import AppFactory, client_for
from fastapi import APIRouter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from taskflow.common.logging import configure_logging, get_logger
from taskflow.common.settings import ServiceSettings
from taskflow.common.telemetry import configure_tracing, shutdown_tracing, tracing_enabled
from taskflow.common.tracing import current_request_id, current_traceparent, parse_traceparent

TRACE = "0af7651916cd43dd8448eb211c80319c"
PARENT = "b7ad6b7169203331"
TRACEPARENT = f"00-{TRACE}-{PARENT}-01"

router = APIRouter()


@router.get("/items/{item_id}")
async def item(item_id: int) -> dict[str, str | None]:
    """What an event written now would carry."""
    get_logger("test").info("serving")
    return {"traceparent": current_traceparent(), "request_id": current_request_id()}


def test_tracing_is_off_by_default_and_starts_no_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TASKFLOW_OTLP_ENDPOINT", raising=False)
    settings = ServiceSettings()
    assert settings.otlp_endpoint == ""
    before = {t.ident for t in threading.enumerate()}
    assert configure_tracing(settings) is None
    assert not tracing_enabled()
    assert {t.ident for t in threading.enumerate()} == before
    monkeypatch.setenv("TASKFLOW_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    assert ServiceSettings().otlp_endpoint == "http://127.0.0.1:4318"


@pytest.mark.parametrize(
    "value",
    [
        "00-00000000000000000000000000000000-b7ad6b7169203331-01",  # invalid trace id
        "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",  # invalid parent id
        "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",  # forbidden version
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333-01",
        "",
    ],
)
def test_an_invalid_traceparent_is_not_taken(value: str) -> None:
    assert parse_traceparent(value) is None


async def test_the_request_s_trace_and_id_reach_the_code_and_logs(make_app: AppFactory) -> None:
    app = make_app(router)
    stream = io.StringIO()
    configure_logging("INFO", json=True, stream=stream)
    async with client_for(app) as c:
        given = await c.get(
            "/items/1", headers={"traceparent": TRACEPARENT.upper(), "X-Request-ID": "rid-7"}
        )
        fresh = [(await c.get("/items/2")).json() for _ in range(2)]
    assert given.json() == {"traceparent": TRACEPARENT, "request_id": "rid-7"}
    # Without one, a new trace starts at the edge (each request its own), so that the
    # request's events can still be followed.
    ids = [parse_traceparent(f["traceparent"]) for f in fresh]
    assert all(ids)
    assert ids[0] != ids[1]
    assert all(f["request_id"] for f in fresh)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    serving = [x for x in lines if x["event"] == "serving"]
    assert serving[0]["trace_id"] == TRACE
    assert serving[0]["request_id"] == "rid-7"
    assert [x["trace_id"] for x in serving[1:]] == [str(i).split("-")[1] for i in ids]


class _Receiver(ThreadingHTTPServer):
    """An OTLP/HTTP trace receiver on loopback: keeps every request it gets."""

    def __init__(self) -> None:
        self.received: list[ExportTraceServiceRequest] = []
        self.paths: list[str] = []
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        self.server.paths.append(self.path)
        self.server.received.append(request)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    server = _Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    shutdown_tracing()


async def test_with_an_otlp_endpoint_request_spans_reach_the_receiver(
    make_app: AppFactory, settings: ServiceSettings, receiver: _Receiver
) -> None:
    host, port = receiver.server_address[:2]
    traced = settings.model_copy(update={"otlp_endpoint": f"http://{host!s}:{port}/"})
    app = make_app(router, settings=traced)
    assert tracing_enabled()
    async with client_for(app) as c:
        seen = (await c.get("/items/7?q=secret", headers={"traceparent": TRACEPARENT})).json()
    shutdown_tracing()  # flushes the batch (the app's lifespan end does the same)
    assert receiver.paths == ["/v1/traces"]
    spans = [
        (resource, span)
        for request in receiver.received
        for resource in request.resource_spans
        for scope in resource.scope_spans
        for span in scope.spans
    ]
    [(resource, span)] = spans
    attributes = {a.key: a.value.string_value or a.value.int_value for a in span.attributes}
    service = {a.key: a.value.string_value for a in resource.resource.attributes}
    assert service["service.name"] == "taskflow-commontest"
    assert span.name == "GET /items/{item_id}"
    assert span.trace_id.hex() == TRACE
    assert span.parent_span_id.hex() == PARENT
    assert attributes == {
        "http.request.method": "GET",
        "http.route": "/items/{item_id}",
        "http.response.status_code": 200,
    }  # the template, never the raw path or its query string
    # What the request's events carry names this span: same trace, the span's id.
    assert seen["traceparent"] == f"00-{TRACE}-{span.span_id.hex()}-01"
