"""Typed errors rendered as RFC 9457 problem+json by one handler (see `app.py`).

Services raise these classes instead of `HTTPException` so that every error has a stable
`code`, and each route lists the errors it can return with `responses=errors(...)`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://taskflow.dev/problems/"


def problem_type(code: str) -> str:
    """The `type` URI of a problem code."""
    return PROBLEM_TYPE_BASE + code


class FieldError(BaseModel):
    """One validation failure: where, what, and its machine-readable kind."""

    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details, as every Taskflow error body."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["https://taskflow.dev/problems/not_found"])
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    code: str = Field(description="Stable snake_case error code.")
    request_id: str | None = None
    errors: list[FieldError] | None = Field(
        default=None, description="Validation failures (422 only)."
    )


class ProblemError(Exception):
    """An error with an HTTP status and a stable code, rendered as problem+json.

    Extra keyword arguments become extra members of the problem body (for example
    `current_version` on a 412); `headers` are sent with the response.
    """

    status: ClassVar[int] = 500
    default_code: ClassVar[str] = "internal_error"
    default_title: ClassVar[str] = "Internal Server Error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        title: str | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or title or self.default_title)
        self.status_code = status or self.status
        self.code = code or self.default_code
        self.title = title or self.default_title
        self.detail = detail
        self.headers = dict(headers or {})
        self.extra = extra

    def body(self) -> dict[str, Any]:
        """The problem members (without `instance` and `request_id`, added per request).

        `detail` is always present (the title when none was given), so that every error body
        has the same members whatever raised it (the contract lists type, title, status,
        detail, instance and code).
        """
        out: dict[str, Any] = {
            "type": problem_type(self.code),
            "title": self.title,
            "status": self.status_code,
            "detail": self.detail if self.detail is not None else self.title,
            "code": self.code,
        }
        out.update(self.extra)
        return out


class BadRequest(ProblemError):
    status = 400
    default_code = "bad_request"
    default_title = "Bad Request"


class Unauthorized(ProblemError):
    """401; always carries `WWW-Authenticate: Bearer` (RFC 6750)."""

    status = 401
    default_code = "not_authenticated"
    default_title = "Unauthorized"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        if "WWW-Authenticate" not in self.headers:
            if self.code == "not_authenticated":
                self.headers["WWW-Authenticate"] = "Bearer"
            else:
                self.headers["WWW-Authenticate"] = f'Bearer error="{self.code}"'


class InvalidToken(Unauthorized):
    """401 for any token that fails verification; the detail never says which check."""

    default_code = "invalid_token"

    def __init__(self, detail: str = "The access token is invalid or expired.") -> None:
        super().__init__(detail)


class Forbidden(ProblemError):
    status = 403
    default_code = "forbidden"
    default_title = "Forbidden"


class NotFound(ProblemError):
    status = 404
    default_code = "not_found"
    default_title = "Not Found"


class MethodNotAllowed(ProblemError):
    status = 405
    default_code = "method_not_allowed"
    default_title = "Method Not Allowed"


class Conflict(ProblemError):
    status = 409
    default_code = "conflict"
    default_title = "Conflict"


class PreconditionFailed(ProblemError):
    status = 412
    default_code = "precondition_failed"
    default_title = "Precondition Failed"


class PayloadTooLarge(ProblemError):
    status = 413
    default_code = "payload_too_large"
    default_title = "Payload Too Large"


class UnsupportedMediaType(ProblemError):
    status = 415
    default_code = "unsupported_media_type"
    default_title = "Unsupported Media Type"


class Unprocessable(ProblemError):
    """422 with `errors=[{loc, msg, type}]`."""

    status = 422
    default_code = "validation_error"
    default_title = "Unprocessable Content"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(detail, errors=list(errors or []), **kwargs)


class PreconditionRequired(ProblemError):
    status = 428
    default_code = "precondition_required"
    default_title = "Precondition Required"


class TooManyRequests(ProblemError):
    """429; `retry_after` seconds go into the body and the `Retry-After` header."""

    status = 429
    default_code = "too_many_requests"
    default_title = "Too Many Requests"

    def __init__(self, detail: str | None = None, *, retry_after: int | None = None, **kw: Any):
        if retry_after is not None:
            kw.setdefault("headers", {})["Retry-After"] = str(int(retry_after))
            kw["retry_after"] = int(retry_after)
        super().__init__(detail, **kw)


class ServiceUnavailable(ProblemError):
    status = 503
    default_code = "service_unavailable"
    default_title = "Service Unavailable"


class InternalError(ProblemError):
    status = 500
    default_code = "internal_error"
    default_title = "Internal Server Error"


def problem_response_doc(description: str) -> dict[str, Any]:
    """One OpenAPI response entry whose body is a Problem.

    The schema is referenced, not given as `model=`, so that FastAPI does not also document an
    `application/json` body; `openapi.install` adds the `Problem` component.
    """
    return {
        "description": description,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def errors(*classes: type[ProblemError]) -> dict[int | str, dict[str, Any]]:
    """The `responses=` dict of a route that can raise these error classes."""
    out: dict[int | str, dict[str, Any]] = {}
    for cls in classes:
        entry = out.get(cls.status)
        if entry is None:
            out[cls.status] = problem_response_doc(cls.default_title)
        else:
            entry["description"] = f"{entry['description']} / {cls.default_title}"
    return out
