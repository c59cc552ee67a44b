"""Optimistic concurrency: `ETag: "<version>"` out, `If-Match` in, 412 on mismatch."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Depends, Header, Response

from taskflow.common.errors import PreconditionFailed, Unprocessable

_IF_MATCH_RE = re.compile(r'^\s*(?:W/)?"?(\d{1,18})"?\s*$')


def etag(version: int) -> str:
    """The strong ETag of a resource version."""
    return f'"{version}"'


def parse_if_match(value: str | None) -> int | None:
    """The version an `If-Match` header asks for; None when absent or `*`."""
    if value is None or value.strip() == "" or value.strip() == "*":
        return None
    m = _IF_MATCH_RE.match(value)
    if m is None:
        raise Unprocessable(
            'The If-Match header must be a version ETag such as "3".',
            code="invalid_if_match",
            errors=[{"loc": ["header", "If-Match"], "msg": "Invalid ETag", "type": "etag"}],
        )
    return int(m.group(1))


async def get_if_match(
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> int | None:
    """Dependency: the expected version from `If-Match`, or None."""
    return parse_if_match(if_match)


IfMatch = Annotated[int | None, Depends(get_if_match)]


def check_version(current: Any, expected: int | None) -> None:
    """412 `precondition_failed` when `expected` is given and differs from the current version.

    `current` is an int or any object with a `version` attribute.
    """
    version = current if isinstance(current, int) else current.version
    if expected is not None and version != expected:
        raise PreconditionFailed(
            "The resource was changed since you read it.",
            current_version=version,
            headers={"ETag": etag(version)},
        )


def set_etag(response: Response, version: int) -> None:
    """Send the version as the response's ETag."""
    response.headers["ETag"] = etag(version)
