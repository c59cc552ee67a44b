"""`create_app`: the one place every service's FastAPI app is assembled.

A service's `main.py` is `app = create_app(settings, routers=[...])`. Everything that must be
the same in every service lives here: request ids, JSON logs, problem+json errors, body size
limit, CORS, health and readiness, metrics, token verification and the DB/Redis resources.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, ExitStack, asynccontextmanager, suppress
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from taskflow.common import openapi
from taskflow.common.db import Database
from taskflow.common.errors import (
    InternalError,
    PayloadTooLarge,
    ServiceUnavailable,
)
from taskflow.common.inputs import guard_input
from taskflow.common.logging import configure_logging, get_logger
from taskflow.common.metrics import HttpMetrics
from taskflow.common.problems import (
    add_problem_handlers,
    render_problem,
    request_id_var,
    route_template,
)
from taskflow.common.redis import make_redis
from taskflow.common.security import JWKSKeySource, KeySource, TokenVerifier, public
from taskflow.common.settings import ServiceSettings
from taskflow.common.telemetry import configure_tracing, shutdown_tracing
from taskflow.common.tracing import bound, new_traceparent, parse_traceparent
from taskflow.common.tracing_http import ServerSpan

log = get_logger("taskflow.app")
access_log = get_logger("taskflow.access")

ReadinessCheck = Callable[[], Awaitable[Any]]
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[Any]]

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class RequestContextMiddleware:
    """Request id, trace id, access log, metrics, body size limit and the last-resort 500.

    A pure ASGI middleware (not BaseHTTPMiddleware) so that it neither buffers streaming
    responses nor breaks contextvars. It sits inside Starlette's ServerErrorMiddleware and
    renders unhandled exceptions itself, so that the 500 carries the request id too.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: HttpMetrics,
        max_body_bytes: int,
        body_limits: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        # Routes that may take more (or less) than the ordinary limit, by path pattern: the
        # middleware runs before routing, so it matches the raw path, not the template.
        self.body_limits = [(re.compile(k), v) for k, v in (body_limits or {}).items()]

    def body_limit(self, path: str) -> int:
        """The body limit for a path: the first matching override, else the ordinary one."""
        for pattern, limit in self.body_limits:
            if pattern.fullmatch(path):
                return limit
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        method = scope.get("method", "")
        # The request's trace: its own `traceparent`, else a new trace begins here. With
        # export on, the server span (a child of it) is the context its events name.
        incoming = parse_traceparent(_header(scope, b"traceparent"))
        context = ExitStack()
        span = context.enter_context(ServerSpan(method, incoming))
        context.enter_context(bound(span.traceparent or incoming or new_traceparent(), request_id))
        rid_token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        response_started = False
        path = scope.get("path", "")
        max_body = self.body_limit(path)

        too_large = False

        async def deliver(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        async def send_wrapper(message: Message) -> None:
            # Once the body overflowed, the app's own answer (FastAPI turns the error into a
            # 400 "error parsing the body") is dropped and the 413 is sent instead.
            if not too_large:
                await deliver(message)

        received = 0

        async def receive_wrapper() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_body:
                    too_large = True
                    raise PayloadTooLarge()
            return message

        def too_large_response() -> Response:
            return render_problem(
                path, PayloadTooLarge(f"The request body exceeds {max_body} bytes.")
            )

        try:
            length = _header(scope, b"content-length")
            if length is not None and length.isdigit() and int(length) > max_body:
                await too_large_response()(scope, receive, deliver)
            else:
                with suppress(PayloadTooLarge):
                    await self.app(scope, receive_wrapper, send_wrapper)
                if too_large and not response_started:
                    await too_large_response()(scope, receive, deliver)
        except Exception:
            # The route template, never the raw path: paths carry ids and, for feeds that
            # calendar apps fetch, secrets.
            log.exception(
                "unhandled_exception", method=scope.get("method"), route=route_template(scope)
            )
            if not response_started:
                response = render_problem(
                    path, InternalError("An unexpected error occurred; quote the request id.")
                )
                await response(scope, receive, deliver)
        finally:
            duration = time.perf_counter() - started
            template = route_template(scope)
            self.metrics.observe(method, template, status, duration)
            span.finish(template, status)
            access_log.info(
                "request",
                method=method,
                route=template,
                status=status,
                duration_ms=round(duration * 1000, 2),
            )
            request_id_var.reset(rid_token)
            context.close()


async def _run_check(check: ReadinessCheck, limit: float) -> bool:
    try:
        async with asyncio.timeout(limit):
            await check()
    except Exception:
        return False
    return True


def _health_router() -> APIRouter:
    # Probes and the scraper carry no token; the gateway does not route these paths.
    router = APIRouter(
        include_in_schema=False,
        dependencies=[public("health probes and metrics scraping, not routed by the gateway")],
    )

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(request: Request) -> Response:
        """The database, Redis and the service's own dependencies answer."""
        state = request.app.state
        checks: dict[str, ReadinessCheck] = state.readiness_checks
        timeout: float = state.settings.readiness_timeout
        names = list(checks)
        results = await asyncio.gather(*(_run_check(checks[n], timeout) for n in names))
        failed = [n for n, ok in zip(names, results, strict=True) if not ok]
        if failed:
            # Names only: the error texts may carry hostnames.
            log.warning("not_ready", failed=failed)
            return render_problem(
                request.url.path,
                ServiceUnavailable(
                    "Some dependencies are not reachable.", code="not_ready", failed=failed
                ),
            )
        return JSONResponse({"status": "ok", "checks": names})

    @router.get("/metrics")
    async def metrics(request: Request) -> Response:
        """Prometheus metrics of this process."""
        m: HttpMetrics = request.app.state.metrics
        return Response(m.render(), media_type=m.content_type)

    return router


def create_app(
    settings: ServiceSettings,
    *,
    routers: Sequence[APIRouter] = (),
    title: str | None = None,
    version: str = "0.1.0",
    readiness_checks: Mapping[str, ReadinessCheck] | None = None,
    key_source: KeySource | None = None,
    lifespan: Lifespan | None = None,
    openapi_tags: list[dict[str, Any]] | None = None,
    description: str = "",
    body_limits: Mapping[str, int] | None = None,
) -> FastAPI:
    """Build a service's app; resources are created now and connect on first use.

    `body_limits` maps path patterns (regular expressions matched against the whole path) to
    their own body limit, for the rare route that takes more than `settings.max_body_bytes`.
    """
    configure_logging(settings.log_level, json=settings.log_json, service=settings.service_name)
    configure_tracing(settings)
    db = Database(settings)
    redis = make_redis(settings)
    source: KeySource = key_source or JWKSKeySource(
        settings.jwks_url,
        ttl=settings.jwks_cache_ttl,
        min_refresh_interval=settings.jwks_refresh_min_interval,
    )
    verifier = TokenVerifier(source, issuer=settings.jwt_issuer, audience=settings.jwt_audience)
    metrics = HttpMetrics()

    @asynccontextmanager
    async def app_lifespan(app: FastAPI) -> AsyncIterator[None]:
        log.info("starting", settings=settings.safe_dump())
        try:
            if lifespan is not None:
                async with lifespan(app):
                    yield
            else:
                yield
        finally:
            closer = getattr(source, "aclose", None)
            if closer is not None:
                await closer()
            await redis.aclose()
            await db.dispose()
            shutdown_tracing()  # flushes the spans still queued for export
            log.info("stopped")

    app = FastAPI(
        title=title or f"Taskflow {settings.service_name}",
        version=version,
        description=description,
        lifespan=app_lifespan,
        openapi_tags=openapi_tags,
        # No interactive docs in production (the gateway does not serve them either); the
        # OpenAPI document stays for internal tooling, behind the gateway.
        docs_url=None if settings.environment == "production" else "/docs",
        redoc_url=None if settings.environment == "production" else "/redoc",
        # Every route, before its own dependencies: no unstorable string reaches a query.
        dependencies=[Depends(guard_input)],
    )
    app.state.settings = settings
    app.state.db = db
    app.state.redis = redis
    app.state.verifier = verifier
    app.state.metrics = metrics
    checks: dict[str, ReadinessCheck] = {"database": db.ping, "redis": redis.ping}
    checks.update(readiness_checks or {})
    app.state.readiness_checks = checks

    add_problem_handlers(app)

    app.add_middleware(
        RequestContextMiddleware,
        metrics=metrics,
        max_body_bytes=settings.max_body_bytes,
        body_limits=body_limits,
    )
    if settings.cors_origins:
        # Outermost, so that error responses carry CORS headers too.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["ETag", "Location", "X-Request-ID", "Retry-After"],
        )

    app.include_router(_health_router())
    for router in routers:
        app.include_router(router)
    openapi.install(app)
    return app
