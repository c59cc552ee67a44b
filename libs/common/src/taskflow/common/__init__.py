"""taskflow.common: what every Taskflow service is built on (see docs/architecture.md)."""

from taskflow.common.app import create_app
from taskflow.common.concurrency import IfMatch, check_version, set_etag
from taskflow.common.db import Database, SessionDep, get_session, make_metadata
from taskflow.common.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    PreconditionRequired,
    Problem,
    ProblemError,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    Unprocessable,
    errors,
)
from taskflow.common.pagination import Page, PageParams, decode_cursor, encode_cursor
from taskflow.common.scopes import Scope, scopes_for_roles
from taskflow.common.security import (
    CurrentPrincipal,
    InsufficientScope,
    Principal,
    public,
    require_roles,
    require_scope,
)
from taskflow.common.settings import ServiceSettings

__all__ = [
    "BadRequest",
    "Conflict",
    "CurrentPrincipal",
    "Database",
    "Forbidden",
    "IfMatch",
    "InsufficientScope",
    "NotFound",
    "Page",
    "PageParams",
    "PayloadTooLarge",
    "PreconditionFailed",
    "PreconditionRequired",
    "Principal",
    "Problem",
    "ProblemError",
    "Scope",
    "ServiceSettings",
    "ServiceUnavailable",
    "SessionDep",
    "TooManyRequests",
    "Unauthorized",
    "Unprocessable",
    "check_version",
    "create_app",
    "decode_cursor",
    "encode_cursor",
    "errors",
    "get_session",
    "make_metadata",
    "public",
    "require_roles",
    "require_scope",
    "scopes_for_roles",
    "set_etag",
]
