"""Input the database would choke on is refused up front, with a 4xx naming the field.

PostgreSQL `text` and `jsonb` reject the NUL character, and UTF-8 cannot encode a lone UTF-16
surrogate (both arrive legally in JSON as `\\u0000` / `\\ud800`), so without this guard such a
value travels through validation and fails at the INSERT as a 500. And a JSON route sent a
form or plain text used to answer a confusing 422 about the body's type; it is a 415.

`guard_input` is an app-wide dependency (`create_app` installs it), so every route of every
service gets it without declaring it. It runs after FastAPI parsed the body (the parsed JSON
is cached on the request) and before the route's own dependencies.
"""

from __future__ import annotations

import email.message
import re
from collections.abc import Iterator
from typing import Any

from fastapi import params
from starlette.requests import HTTPConnection, Request

from taskflow.common.errors import Unprocessable, UnsupportedMediaType

#: NUL and the UTF-16 surrogates: storable in a Python str, not in PostgreSQL text.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_MAX_REPORTED = 20


def is_json_media_type(content_type: str) -> bool:
    """True for `application/json` and `application/*+json` (parameters ignored)."""
    message = email.message.Message()
    message["content-type"] = content_type
    if message.get_content_maintype() != "application":
        return False
    subtype = message.get_content_subtype()
    return subtype == "json" or subtype.endswith("+json")


def unstorable_strings(value: Any, loc: tuple[str | int, ...]) -> Iterator[tuple[str | int, ...]]:
    """The locations of keys and strings in a parsed JSON value that hold unstorable text."""
    if isinstance(value, str):
        if _UNSTORABLE.search(value):
            yield loc
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and _UNSTORABLE.search(key):
                yield (*loc, _printable(key))
            yield from unstorable_strings(item, (*loc, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from unstorable_strings(item, (*loc, i))


def _printable(text: str) -> str:
    # A key named in an error must itself be safe to render and store.
    return _UNSTORABLE.sub("\ufffd", text)


def _field_error(loc: tuple[str | int, ...]) -> dict[str, Any]:
    return {
        "loc": [p if isinstance(p, int) else _printable(str(p)) for p in loc],
        "msg": "NUL characters and unpaired surrogates are not allowed",
        "type": "string_unstorable_character",
    }


def _expects_json_body(conn: HTTPConnection) -> bool:
    route = conn.scope.get("route")
    body_field = getattr(route, "body_field", None)
    # Routes that read the raw body themselves (CSV import) have no body field; form routes
    # take forms.
    return body_field is not None and not isinstance(body_field.field_info, params.Form)


async def guard_input(conn: HTTPConnection) -> None:
    """Dependency: 415 for a non-JSON body on a JSON route, 422 for unstorable strings."""
    found: list[tuple[str | int, ...]] = []
    for name, value in conn.path_params.items():
        if isinstance(value, str) and _UNSTORABLE.search(value):
            found.append(("path", name))
    for name, value in conn.query_params.multi_items():
        if _UNSTORABLE.search(value) or _UNSTORABLE.search(name):
            found.append(("query", _printable(name)))
    if isinstance(conn, Request) and conn.scope["type"] == "http" and _expects_json_body(conn):
        body = await conn.body()
        content_type = conn.headers.get("content-type")
        if body and content_type and not is_json_media_type(content_type):
            raise UnsupportedMediaType("Send the body as application/json.")
        if body:
            for loc in unstorable_strings(await conn.json(), ("body",)):
                found.append(loc)
                if len(found) >= _MAX_REPORTED:
                    break
    if found:
        raise Unprocessable(
            "Some values contain characters that cannot be stored.",
            code="validation_error",
            errors=[_field_error(loc) for loc in found[:_MAX_REPORTED]],
        )
