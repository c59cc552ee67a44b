"""The scope matrix: every route of an app, called with a token of each single scope.

A service's test gives its expected policy (``{("DELETE", "/api/v1/projects/{project_id}"):
{"tasks:write"}, ("POST", "/api/v1/auth/login"): PUBLIC, ...}``), a client on the app and a
way to make a token carrying given scopes. ``check_scope_matrix`` then fails

- for every route that declares no scope (``require_scope(...)`` / ``public(reason)``): a route
  added without one, here or in a branch merged later, fails loudly with its method and path;
- for every difference between the declarations and the expected policy (so that a changed
  declaration is a reviewed change of this table);
- for every call where the answer does not follow the declaration: a token lacking a declared
  scope must get 403 ``insufficient_scope`` naming what it lacks, a token carrying them must
  get past the scope check (whatever the route answers next, but never a 5xx), and a public
  route must not ask for a token.

Tokens carry every system role (``admin``, ``auditor``, ``user``): the matrix plays an admin
whose script token has one scope, the strongest caller a scope has to stop.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from taskflow.common.scopes import Scope
from taskflow.common.security import route_scopes

#: The expected policy of a route that takes no token.
PUBLIC = "public"
#: The probes every app has (declared public by `create_app`), for the services' policies.
PROBES: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
}
#: The roles every matrix token carries.
ALL_ROLES = ("admin", "auditor", "user")

Policy = Mapping[tuple[str, str], "frozenset[str] | set[str] | str"]
TokenFor = Callable[[frozenset[str]], Awaitable[str]]


@dataclass(frozen=True)
class Failure:
    method: str
    path: str
    scopes: tuple[str, ...]
    why: str

    def __str__(self) -> str:
        return f"{self.method} {self.path} with scopes {list(self.scopes)}: {self.why}"


def declared_policy(app: FastAPI) -> tuple[dict[tuple[str, str], frozenset[str] | str], list[str]]:
    """The app's declarations as a policy, and the routes that declare nothing."""
    policy: dict[tuple[str, str], frozenset[str] | str] = {}
    undeclared: list[str] = []
    for route in route_scopes(app):
        methods = route.methods or ("WEBSOCKET",)
        need = route.requirement
        for method in methods:
            if method == "HEAD":
                continue
            if need is None:
                undeclared.append(f"{method} {route.path} ({route.kind} route {route.name!r})")
                continue
            policy[(method, route.path)] = (
                PUBLIC if need.is_public else frozenset(str(s) for s in need.scopes)
            )
    return policy, undeclared


def _normalise(policy: Policy) -> dict[tuple[str, str], frozenset[str] | str]:
    return {k: v if isinstance(v, str) else frozenset(v) for k, v in policy.items()}


def check_declarations(app: FastAPI, expected: Policy) -> None:
    """Fail unless every route declares a scope and the declarations equal `expected`."""
    declared, undeclared = declared_policy(app)
    assert not undeclared, (
        "routes without a scope declaration (add dependencies=[require_scope(Scope....)] or "
        "public('why') from taskflow.common.security, then add the route to this test's "
        "policy):\n  " + "\n  ".join(undeclared)
    )
    want = _normalise(expected)
    problems = [
        f"{m} {p}: declared {sorted(declared[(m, p)]) if (m, p) in declared else None}, "
        f"expected {sorted(want[(m, p)]) if (m, p) in want else None}"
        for (m, p) in sorted(set(declared) | set(want))
        if declared.get((m, p)) != want.get((m, p))
    ]
    assert not problems, "scope declarations differ from the policy:\n  " + "\n  ".join(problems)


def _fill(path: str, values: Mapping[str, str]) -> str:
    """The path with each `{param}` replaced (a fresh UUID unless `values` names it)."""
    return re.sub(
        r"\{([^}:]+)(?::[^}]*)?\}", lambda m: values.get(m.group(1), str(uuid.uuid4())), path
    )


async def check_scope_matrix(
    client: httpx.AsyncClient,
    app: FastAPI,
    expected: Policy,
    token_for: TokenFor,
    *,
    path_values: Mapping[str, str] | None = None,
    skip: Iterable[tuple[str, str]] = (),
) -> int:
    """Run the matrix (see the module docstring); returns the number of calls made.

    `skip` names routes checked elsewhere (a WebSocket, which cannot be called over HTTP).
    """
    check_declarations(app, expected)
    declared, _ = declared_policy(app)
    skipped = set(skip)
    failures: list[Failure] = []
    tokens: dict[frozenset[str], str] = {}
    probes: list[frozenset[str]] = [frozenset()] + [frozenset({s.value}) for s in Scope]
    for probe in probes:
        tokens[probe] = await token_for(probe)
    calls = 0
    for (method, path), need in sorted(declared.items()):
        if (method, path) in skipped:
            continue
        url = _fill(path, path_values or {})
        if need == PUBLIC:
            resp = await client.request(method, url)
            calls += 1
            body = _json(resp)
            # Asking for an access token is what a public route must not do (its own
            # credential, a refresh or one-time token, may still be refused).
            if body.get("code") in {"not_authenticated", "invalid_token", "insufficient_scope"}:
                failures.append(Failure(method, path, (), f"public route answered {resp.text}"))
            continue
        assert isinstance(need, frozenset)
        for probe in [*probes, frozenset(need)]:
            token = tokens.get(probe) or await _token(tokens, token_for, probe)
            resp = await client.request(method, url, headers={"Authorization": f"Bearer {token}"})
            calls += 1
            body = _json(resp)
            missing = sorted(need - probe)
            refused = resp.status_code == 403 and body.get("code") == "insufficient_scope"
            if missing:
                if not refused:
                    failures.append(
                        Failure(
                            method,
                            path,
                            tuple(sorted(probe)),
                            f"not refused: {resp.status_code} {resp.text[:200]}",
                        )
                    )
                elif body.get("required_scopes") != missing:
                    failures.append(
                        Failure(
                            method,
                            path,
                            tuple(sorted(probe)),
                            f"names {body.get('required_scopes')}, lacks {missing}",
                        )
                    )
            elif refused or resp.status_code >= 500:
                failures.append(
                    Failure(
                        method,
                        path,
                        tuple(sorted(probe)),
                        f"allowed scope got {resp.status_code} {resp.text[:200]}",
                    )
                )
    assert not failures, f"{len(failures)} scope matrix failures:\n  " + "\n  ".join(
        str(f) for f in failures
    )
    return calls


async def _token(
    tokens: dict[frozenset[str], str], token_for: TokenFor, scopes: frozenset[str]
) -> str:
    tokens[scopes] = await token_for(scopes)
    return tokens[scopes]


def _json(resp: httpx.Response) -> dict[str, Any]:
    try:
        value = resp.json()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
