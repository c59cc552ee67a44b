"""Schemathesis over a service's OpenAPI document, through the app in process.

Each service's ``tests/test_fuzz.py`` builds an app of its own on the session's real database,
Redis and broker, seeds a few real resources through it, and runs :meth:`Fuzzer.run` once per
operation of its committed ``openapi.json`` (:func:`operations`), with a real access token.
Every operation gets positive cases (valid by the schema) and negative ones (invalid
somewhere), each checked for:

- ``not_a_server_error``: no 5xx;
- ``response_schema_conformance``: the body matches the documented schema;
- ``status_code_conformance`` and ``content_type_conformance``: both are documented;
- ``negative_data_rejection``: invalid data gets a 4xx;
- ``ignored_auth``: a 2xx with the token becomes 401 without it and with a spoilt one.

The app runs on schemathesis's own event loop thread (its ASGI transport), so the app given
here must be one that no other loop has used: pooled asyncpg connections belong to the loop
that opened them. Seed through :meth:`Fuzzer.ok` (the same loop), or through the tests' own
engines (their own pools).

``TASKFLOW_FUZZ_EXAMPLES`` sets the examples per operation and mode (default
:data:`DEFAULT_EXAMPLES`; cost in docs/fuzzing.md); ``make fuzz`` raises
it and draws fresh examples each run instead of the fixed ones ``make test`` replays.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import hypothesis
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st

T = TypeVar("T")

#: Examples per operation and generation mode in ``make test``.
DEFAULT_EXAMPLES = 4
METHODS = ("get", "put", "post", "delete", "patch")


def examples() -> int:
    """The examples per operation and mode (``TASKFLOW_FUZZ_EXAMPLES``, else the default)."""
    return int(os.environ.get("TASKFLOW_FUZZ_EXAMPLES", DEFAULT_EXAMPLES))


def long_run() -> bool:
    """True under ``make fuzz``: fresh random examples each run, not the replayed ones."""
    return "TASKFLOW_FUZZ_EXAMPLES" in os.environ


def operations(openapi_json: Path) -> list[str]:
    """``METHOD /path`` of every operation of a committed OpenAPI document, for parametrize.

    The committed document equals the app's (each service's drift test says so), so the test
    ids are known at collection time without building the app.
    """
    doc = json.loads(openapi_json.read_text())
    return [
        f"{method.upper()} {path}"
        for path, item in doc["paths"].items()
        for method in item
        if method in METHODS
    ]


def checks() -> list[Any]:
    """The checks every case goes through (see the module docstring)."""
    from schemathesis.checks import load_all_checks, not_a_server_error
    from schemathesis.specs.openapi import checks as openapi_checks

    load_all_checks()
    return [
        not_a_server_error,
        openapi_checks.response_schema_conformance,
        openapi_checks.status_code_conformance,
        openapi_checks.content_type_conformance,
        openapi_checks.negative_data_rejection,
        openapi_checks.ignored_auth,
    ]


class Fuzzer:
    """One app under schemathesis: its schema, the token every case carries, a plain client.

    ``token`` may change between operations (a test that signs a fresh user in each time).
    """

    def __init__(self, app: Any, token: str = "") -> None:
        import schemathesis

        self.app = app
        self.token = token
        self.schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        fuzzer = self

        @self.schema.auth()
        class _Bearer:
            """The real token, set as auth would: ``ignored_auth`` then drops or spoils it."""

            def get(self, case: Any, context: Any) -> str:
                return fuzzer.token

            def set(self, case: Any, data: str, context: Any) -> None:
                case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """One plain call through the app (``requests`` style) with the token, for seeding."""
        from schemathesis.python import asgi

        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        with asgi.get_client(self.app) as client:
            return client.request(method, path, headers=headers, **kwargs)

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        """:meth:`request` that must answer 2xx; its JSON body (None when empty)."""
        response = self.request(method, path, **kwargs)
        assert response.status_code < 300, (
            f"{method} {path}: {response.status_code} {response.text}"
        )
        return response.json() if response.content else None

    def run(
        self,
        label: str,
        *,
        path_values: Mapping[str, Sequence[str]] | None = None,
        excluded_checks: Sequence[str] = (),
        count: int | None = None,
    ) -> None:
        """Positive then negative cases of one operation; raises on the first failure.

        ``path_values`` names real ids for path parameters (``{"project_id": [id, ...]}``):
        about half the cases use them, so that the operation gets past its 404 to the real
        work, and the rest get generated ids. ``excluded_checks`` names checks that cannot
        apply to this operation (the caller says why, next to the call).
        """
        from schemathesis import GenerationMode

        operation = self.schema.find_operation_by_label(label)
        assert operation is not None, f"{label} is not in the app's OpenAPI document"
        chosen = [c for c in checks() if c.__name__ not in set(excluded_checks)]
        names = {p.name for p in operation.path_parameters}
        known = {k: list(v) for k, v in (path_values or {}).items() if k in names and v}
        settings = hypothesis.settings(
            max_examples=count or examples(),
            deadline=None,
            database=None,
            derandomize=not long_run(),
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
            print_blob=long_run(),
        )
        auth = self.schema.auth
        modes = [GenerationMode.POSITIVE]
        # An operation without parameters or body has nothing to make invalid.
        if any(True for _ in operation.iter_parameters()) or list(operation.body):
            modes.append(GenerationMode.NEGATIVE)
        for mode in modes:

            def cases(values: dict[str, str] | None, mode: Any = mode) -> Any:
                return operation.as_strategy(
                    generation_mode=mode, auth_storage=auth, path_parameters=values
                )

            strategies = [cases(None)]
            if known:
                fixed = st.fixed_dictionaries({k: st.sampled_from(v) for k, v in known.items()})
                strategies.append(fixed.flatmap(cases))

            @settings
            @hypothesis.given(case=st.one_of(strategies))
            def run(case: Any) -> None:
                case.call_and_validate(checks=chosen)

            run()

    def on_app_loop(self, factory: Callable[[], Awaitable[T]]) -> T:
        """Await ``factory()`` on the loop the app is served on (e.g. to drain its tasks)."""
        from schemathesis.python import asgi

        with asgi.get_client(self.app):
            return asgi._get_portal().call(factory)

    def close(self) -> None:
        """End the lifespans schemathesis started (closes the pools before the DB drops)."""
        from schemathesis.python import asgi

        asgi.shutdown_lifespans()
