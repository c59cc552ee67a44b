"""OpenAPI post-processing (problem+json everywhere, scopes) and the document writer.

Each operation documents the scopes its route declares (`require_scope`): a security
requirement on the `bearer` scheme listing them (OpenAPI 3.1 lets a non-OAuth scheme list
the roles it needs there), the same list as `x-required-scopes` for tools that only read
extensions, a sentence in the description, and the 401/403 problems it can answer. A public
route has an empty `security` list and `x-required-scopes: []`.

`python -m taskflow.common.openapi module:app out.json` writes the app's document as sorted,
indented JSON with a trailing newline, so that the committed file diffs cleanly and a drift
test can compare bytes.
"""

from __future__ import annotations

import copy
import importlib
import json
import sys
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from taskflow.common.errors import PROBLEM_MEDIA_TYPE, FieldError, Problem
from taskflow.common.scopes import SCOPE_DESCRIPTIONS
from taskflow.common.security import RouteScope, route_scopes

PROBLEM_REF = "#/components/schemas/Problem"
_HTTP_METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}


def _problem_schemas() -> dict[str, Any]:
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    defs = schema.pop("$defs", {})
    defs.setdefault("FieldError", FieldError.model_json_schema())
    return {"Problem": schema, **defs}


def postprocess(doc: dict[str, Any]) -> dict[str, Any]:
    """Every operation documents 422 as a Problem, and 413 when it takes a body (the body
    limit of `create_app` answers it before the route runs; found undocumented by fuzzing);
    FastAPI's HTTPValidationError goes away."""
    doc = copy.deepcopy(doc)
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(_problem_schemas())
    for path_item in doc.get("paths", {}).values():
        for method, op in path_item.items():
            if method not in _HTTP_METHODS or not isinstance(op, dict):
                continue
            responses = op.setdefault("responses", {})
            responses["422"] = {
                "description": "Validation Error",
                "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
            }
            if "requestBody" in op:
                responses.setdefault(
                    "413",
                    {
                        "description": "Payload Too Large",
                        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
                    },
                )
    text = json.dumps(doc)
    for name in ("HTTPValidationError", "ValidationError"):
        if f"#/components/schemas/{name}" not in text:
            schemas.pop(name, None)
    # Removing HTTPValidationError may leave ValidationError unused: check again.
    text = json.dumps(doc)
    if "#/components/schemas/ValidationError" not in text:
        schemas.pop("ValidationError", None)
    return doc


BEARER_SCHEME = "bearer"


def _problem_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
    }


def document_scopes(doc: dict[str, Any], routes: list[RouteScope]) -> dict[str, Any]:
    """Write each operation's declared scopes into the document (see the module docstring)."""
    doc = copy.deepcopy(doc)
    scheme = {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An access token from auth. Scopes it may carry: "
        + " ".join(f"`{s}`: {text}" for s, text in SCOPE_DESCRIPTIONS.items()),
    }
    doc.setdefault("components", {}).setdefault("securitySchemes", {})[BEARER_SCHEME] = scheme
    paths = doc.get("paths", {})
    for route in routes:
        need = route.requirement
        item = paths.get(route.path)
        if need is None or not isinstance(item, dict):
            continue
        for method in route.methods:
            op = item.get(method.lower())
            if not isinstance(op, dict):
                continue
            scopes = sorted(str(s) for s in need.scopes)
            op["x-required-scopes"] = scopes
            if need.is_public:
                op["security"] = []
                note = f"No token needed: {need.public_reason}." if need.public_reason else ""
            else:
                op["security"] = [{BEARER_SCHEME: scopes}]
                note = "Requires scope " + " and ".join(f"`{s}`" for s in scopes) + "."
                responses = op.setdefault("responses", {})
                responses.setdefault("401", _problem_response("Unauthorized"))
                responses.setdefault("403", _problem_response("Forbidden"))
                listed = " and ".join(f"`{s}`" for s in scopes)
                responses["403"]["description"] = (
                    f"Forbidden (`insufficient_scope` when the token lacks {listed})"
                )
            if note:
                text = op.get("description", "").rstrip()
                op["description"] = f"{text}\n\n{note}" if text else note
    return doc


def install(app: FastAPI) -> None:
    """Replace `app.openapi` with a cached, post-processed document."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
                servers=app.servers,
            )
            app.openapi_schema = document_scopes(postprocess(doc), route_scopes(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def render(app: FastAPI) -> str:
    """The document as committed: sorted keys, two-space indent, trailing newline."""
    return json.dumps(app.openapi(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def load_app(target: str) -> FastAPI:
    """Import `module:attr` and return the FastAPI app it names."""
    module_name, _, attr = target.partition(":")
    module = importlib.import_module(module_name)
    app = getattr(module, attr or "app")
    if not isinstance(app, FastAPI):
        raise TypeError(f"{target} is not a FastAPI app")
    return app


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m taskflow.common.openapi module:app out.json", file=sys.stderr)
        return 2
    Path(args[1]).write_text(render(load_app(args[0])), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
