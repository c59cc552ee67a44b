"""The generated API clients, and a thin way to call them by operationId.

``make clients`` (infra/local/clients.py) writes ``clients/python/<svc>/taskflow_<svc>_client``.
The tests call operations through :func:`call`, which finds the generated function by
operationId, turns a plain dict body into the operation's generated body model
(``Model.from_dict``) and returns the generated ``Response`` whose ``.parsed`` is the generated
response model. A document whose client does not generate, does not import, or does not
parse a real answer therefore fails the test that uses it.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import pkgutil
import sys
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]


def _load_generator() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(
        "taskflow_e2e_clients_generator", ROOT / "infra" / "local" / "clients.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class GeneratedClient:
    """One service's generated package and an index of its operations by operationId."""

    service: str
    package: types.ModuleType
    operations: dict[str, types.ModuleType] = field(default_factory=dict)

    def operation(self, operation_id: str) -> types.ModuleType:
        try:
            return self.operations[operation_id]
        except KeyError:
            known = ", ".join(sorted(self.operations))
            raise AssertionError(
                f"{self.service} has no operation {operation_id!r} (known: {known})"
            ) from None


def generate(service: str) -> Path:
    """Regenerate the service's client from its committed document (a subprocess; thread-safe)."""
    folder: Path = _load_generator().generate(service, quiet=True)
    return folder


def import_generated(service: str, folder: Path) -> GeneratedClient:
    """Import a generated client and index its operations by operationId."""
    name = f"taskflow_{service}_client"
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    for loaded in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[loaded]  # a stale copy from an earlier generation
    package = importlib.import_module(name)
    client = GeneratedClient(service, package)
    api = importlib.import_module(f"{name}.api")
    for info in pkgutil.walk_packages(api.__path__, prefix=f"{name}.api."):
        if info.ispkg:
            continue
        module = importlib.import_module(info.name)
        if hasattr(module, "asyncio_detailed"):
            client.operations[info.name.rsplit(".", 1)[1]] = module
    if not client.operations:
        raise AssertionError(f"the generated {service} client has no operations")
    return client


def generate_and_import(service: str) -> GeneratedClient:
    """Regenerate the service's client and import it."""
    return import_generated(service, generate(service))


def _body_model(function: Any) -> Any:
    """The generated model class of an operation's `body` parameter (or None)."""
    parameter = inspect.signature(function).parameters.get("body")
    if parameter is None:
        return None
    annotation = parameter.annotation
    if isinstance(annotation, str):
        annotation = typing.get_type_hints(function).get("body")
    candidates = typing.get_args(annotation) or (annotation,)
    for candidate in candidates:
        if hasattr(candidate, "from_dict"):
            return candidate
    return None


def make_http(
    base_url: str, *, token: str | None = None, source: str | None = None, timeout: float = 15
) -> httpx.AsyncClient:
    """An httpx client for the gateway, optionally from its own loopback source address."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    transport = httpx.AsyncHTTPTransport(local_address=source) if source else None
    return httpx.AsyncClient(
        base_url=base_url, headers=headers, timeout=timeout, transport=transport
    )


def bind(generated: GeneratedClient, http: httpx.AsyncClient) -> Any:
    """A generated `Client` whose requests go through `http` (its address, its token)."""
    client = generated.package.Client(base_url=str(http.base_url), raise_on_unexpected_status=False)
    client.set_async_httpx_client(http)
    return client


async def call(
    generated: GeneratedClient,
    operation_id: str,
    http: httpx.AsyncClient,
    *,
    expect: int | tuple[int, ...] | None = None,
    **kwargs: Any,
) -> Any:
    """Call one operation through the generated code; check the status when `expect` is set.

    A dict `body` becomes the generated body model. On an expected 2xx with a body, the
    generated parser must have produced a model (not None): that is what proves the client.
    """
    module = generated.operation(operation_id)
    function = module.asyncio_detailed
    body = kwargs.get("body")
    if isinstance(body, dict):
        model = _body_model(function)
        if model is None:
            raise AssertionError(f"{operation_id}: no generated body model to build from a dict")
        kwargs["body"] = model.from_dict(body)
    response = await function(client=bind(generated, http), **kwargs)
    if expect is not None:
        wanted = (expect,) if isinstance(expect, int) else expect
        assert response.status_code in wanted, (
            f"{operation_id}: {response.status_code} (wanted {wanted}): {response.content[:600]!r}"
        )
        if 200 <= response.status_code < 300 and response.status_code != 204:
            assert response.parsed is not None, (
                f"{operation_id}: the generated client did not parse the {response.status_code}"
                f" answer: {response.content[:600]!r}"
            )
    return response


def as_dict(parsed: Any) -> dict[str, Any]:
    """A generated model as a plain dict (`to_dict`), for assertions."""
    if isinstance(parsed, list):
        return {"items": [as_dict(p) for p in parsed]}
    assert hasattr(parsed, "to_dict"), f"not a generated model: {parsed!r}"
    result: dict[str, Any] = parsed.to_dict()
    return result
