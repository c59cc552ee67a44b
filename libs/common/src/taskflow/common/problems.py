"""Problem+json responses: the renderer, the request id each carries, the exception handlers.

Every error a service returns goes through here, whatever raised it: a `ProblemError`, a
validation error (never echoing the input: it may be a password), Starlette's HTTP errors, a
silent Redis (503 `redis_unavailable`), a full database pool (503 `db_busy`) or an unreachable
database (503 `db_unavailable`).
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from taskflow.common.db import database_unavailable, database_unavailable_problem
from taskflow.common.errors import (
    PROBLEM_MEDIA_TYPE,
    InternalError,
    ProblemError,
    ServiceUnavailable,
    Unprocessable,
    problem_type,
)
from taskflow.common.idempotency import IdempotentReplay, replay_handler
from taskflow.common.logging import get_logger
from taskflow.common.redis import redis_unavailable
from taskflow.common.security_events import request_security_event

log = get_logger("taskflow.app")

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)
_STATUS_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
    503: "service_unavailable",
}


def current_request_id() -> str | None:
    """The id of the request being served (None outside a request)."""
    return request_id_var.get()


def problem_json(
    body: dict[str, Any], status: int, headers: Mapping[str, str] | None = None
) -> Response:
    """A problem+json response."""
    return JSONResponse(
        body, status_code=status, headers=dict(headers or {}), media_type=PROBLEM_MEDIA_TYPE
    )


def route_template(scope: Scope) -> str:
    """The matched route's template (`/tasks/{task_id}`), or `<unmatched>`."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(template) if template else "<unmatched>"


def render_problem(request_path: str, exc: ProblemError) -> Response:
    """The response for a `ProblemError`, with `instance` and `request_id` filled in."""
    body = exc.body()
    body["instance"] = request_path
    body["request_id"] = current_request_id()
    return problem_json(body, exc.status_code, exc.headers)


async def _problem_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    if exc.status_code >= 500:
        log.warning("problem", problem_code=exc.code, status=exc.status_code)
    if exc.status_code == 403:
        request_security_event(request, "access_denied", outcome="denied", reason=exc.code)
    return render_problem(request.url.path, exc)


#: Seconds a client is told to wait after 503 `db_busy` (every pooled connection was taken).
DB_BUSY_RETRY_AFTER = 2


async def _redis_down_handler(request: Request, exc: Exception) -> Response:
    """A route that needs Redis and did not get an answer in time: 503, never 500.

    Routes that can do without Redis (caches, the breaker's shared state) catch the error
    themselves and degrade; anything that reaches this handler fails closed.
    """
    log.warning(
        "redis_unavailable", error_type=type(exc).__name__, route=route_template(request.scope)
    )
    return render_problem(request.url.path, redis_unavailable())


async def _pool_timeout_handler(request: Request, exc: Exception) -> Response:
    """Every database connection stayed busy for `db_pool_timeout`: 503 with Retry-After."""
    log.warning("db_pool_exhausted", route=route_template(request.scope))
    return render_problem(
        request.url.path,
        ServiceUnavailable(
            "The service is busy; try again shortly.",
            code="db_busy",
            headers={"Retry-After": str(DB_BUSY_RETRY_AFTER)},
        ),
    )


async def _database_error_handler(request: Request, exc: Exception) -> Response:
    """The database refused, reset or did not answer: 503 `db_unavailable`, never 500.

    Registered for driver errors and OSError (a refused connect arrives unwrapped); anything
    that is not an unreachable database is the last-resort 500, as unhandled errors are.
    """
    route = route_template(request.scope)
    if database_unavailable(exc):
        log.warning("db_unavailable", error_type=type(exc).__name__, route=route)
        return render_problem(request.url.path, database_unavailable_problem())
    log.error("unhandled_exception", route=route, exc_info=exc)
    return render_problem(
        request.url.path, InternalError("An unexpected error occurred; quote the request id.")
    )


#: FastAPI's detail for a body it could not even decode (bytes that are not UTF-8 text); it
#: raises a plain 400 for those, a `json_invalid` validation error for text that is not JSON.
_BODY_NOT_DECODED = "There was an error parsing the body"


def _invalid_json() -> ProblemError:
    """The one answer to a body that is not JSON, whether or not its bytes were text."""
    return Unprocessable(
        "The request body is not valid JSON.",
        code="invalid_json",
        errors=[{"loc": ["body"], "msg": "Invalid JSON", "type": "json_invalid"}],
    )


async def _validation_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    raw = exc.errors()
    if any(e.get("type") == "json_invalid" for e in raw):
        err: ProblemError = _invalid_json()
    else:
        # Only loc, msg and type: the input may be a password and must not be echoed.
        errors = [
            {
                "loc": [p if isinstance(p, int) else str(p) for p in e.get("loc", ())],
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
            for e in raw
        ]
        err = Unprocessable("The request is not valid.", errors=errors)
    return render_problem(request.url.path, err)


async def _http_exception_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.detail == _BODY_NOT_DECODED:
        # Found by fuzzing: a body of non-UTF-8 bytes got an undocumented 400 while a text
        # body that is not JSON got the documented 422; both are the same mistake.
        return render_problem(request.url.path, _invalid_json())
    code = _STATUS_CODES.get(exc.status_code, f"http_{exc.status_code}")
    if exc.status_code == 403:
        request_security_event(request, "access_denied", outcome="denied", reason=code)
    detail = exc.detail if isinstance(exc.detail, str) else None
    title = detail or code.replace("_", " ").capitalize()
    body: dict[str, Any] = {
        "type": problem_type(code),
        "title": title,
        "status": exc.status_code,
        "detail": detail or title,
        "code": code,
        "instance": request.url.path,
        "request_id": current_request_id(),
    }
    return problem_json(body, exc.status_code, exc.headers)


def add_problem_handlers(app: FastAPI) -> None:
    """Register every exception handler above (and idempotent replays) on ``app``."""
    app.add_exception_handler(ProblemError, _problem_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_exception_handler)
    app.add_exception_handler(IdempotentReplay, replay_handler)
    app.add_exception_handler(RedisConnectionError, _redis_down_handler)
    app.add_exception_handler(RedisTimeoutError, _redis_down_handler)
    app.add_exception_handler(PoolTimeoutError, _pool_timeout_handler)
    app.add_exception_handler(DBAPIError, _database_error_handler)
    app.add_exception_handler(OSError, _database_error_handler)
