"""A RabbitMQ virtual host per test session, so parallel runs never see each other's queues.

``rabbitmqctl`` is the primary tool (the local broker runs on this machine); the management HTTP
API is the fallback when the CLI is missing or cannot reach the node.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from urllib.parse import quote

import httpx

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5672
DEFAULT_USER = "guest"
DEFAULT_PASSWORD = "guest"  # the broker's well-known local default, not a secret
DEFAULT_MANAGEMENT_URL = "http://127.0.0.1:15672"


class VhostError(RuntimeError):
    """Neither rabbitmqctl nor the management API could manage a vhost."""


@dataclass(frozen=True)
class Vhost:
    """A vhost made for this run and the AMQP URL that opens it as ``user``."""

    name: str
    url: str
    via: str  # "rabbitmqctl" or "http"


def _amqp_url(vhost: str) -> str:
    host = os.environ.get("TASKFLOW_TEST_AMQP_HOST", DEFAULT_HOST)
    port = os.environ.get("TASKFLOW_TEST_AMQP_PORT", str(DEFAULT_PORT))
    return f"amqp://{DEFAULT_USER}:{DEFAULT_PASSWORD}@{host}:{port}/{quote(vhost, safe='')}"


def _ctl(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("rabbitmqctl")
    if exe is None:
        raise FileNotFoundError("rabbitmqctl")
    return subprocess.run(  # noqa: S603 - fixed executable, our own arguments
        [exe, "-q", *args], capture_output=True, text=True, timeout=60, check=False
    )


def _management_url() -> str:
    return os.environ.get("TASKFLOW_TEST_RABBITMQ_MANAGEMENT_URL", DEFAULT_MANAGEMENT_URL)


def _http(method: str, path: str, json: object | None = None) -> httpx.Response:
    with httpx.Client(
        base_url=_management_url(), auth=(DEFAULT_USER, DEFAULT_PASSWORD), timeout=10
    ) as client:
        return client.request(method, path, json=json)


def create_vhost(name: str | None = None) -> Vhost:
    """Create vhost ``name`` (default ``tf-test-<hex>``) and let guest do everything in it."""
    name = name or f"tf-test-{secrets.token_hex(6)}"
    errors: list[str] = []
    try:
        added = _ctl("add_vhost", name, "--description", f"taskflow test pid {os.getpid()}")
        if added.returncode == 0:
            perms = _ctl("set_permissions", "-p", name, DEFAULT_USER, ".*", ".*", ".*")
            if perms.returncode == 0:
                return Vhost(name=name, url=_amqp_url(name), via="rabbitmqctl")
            _ctl("delete_vhost", name)
            errors.append(f"rabbitmqctl set_permissions: {perms.stderr.strip()}")
        else:
            errors.append(f"rabbitmqctl add_vhost: {added.stderr.strip()}")
    except (FileNotFoundError, subprocess.TimeoutExpired) as exc:
        errors.append(f"rabbitmqctl unavailable: {exc!r}")
    try:
        path = f"/api/vhosts/{quote(name, safe='')}"
        resp = _http("PUT", path, json={"description": "taskflow test"})
        resp.raise_for_status()
        perms_path = f"/api/permissions/{quote(name, safe='')}/{DEFAULT_USER}"
        resp = _http("PUT", perms_path, json={"configure": ".*", "write": ".*", "read": ".*"})
        resp.raise_for_status()
        return Vhost(name=name, url=_amqp_url(name), via="http")
    except httpx.HTTPError as exc:
        errors.append(f"management API at {_management_url()}: {exc!r}")
    raise VhostError(
        "cannot create a RabbitMQ vhost for the tests. Is RabbitMQ running on "
        f"{DEFAULT_HOST}:{DEFAULT_PORT} (infra/local scripts start it)? Details: "
        + "; ".join(errors)
    )


def delete_vhost(vhost: Vhost | str) -> None:
    """Delete the vhost with every queue and exchange in it (missing vhosts are fine)."""
    name = vhost.name if isinstance(vhost, Vhost) else vhost
    via = vhost.via if isinstance(vhost, Vhost) else "rabbitmqctl"
    if via == "rabbitmqctl":
        try:
            result = _ctl("delete_vhost", name)
            if result.returncode == 0 or "not found" in (result.stderr + result.stdout).lower():
                return
        except (FileNotFoundError, subprocess.TimeoutExpired):
            pass
    resp = _http("DELETE", f"/api/vhosts/{quote(name, safe='')}")
    if resp.status_code not in (204, 404):
        resp.raise_for_status()


def vhost_exists(name: str) -> bool:
    """Say whether the broker knows vhost ``name`` (used by the tests of this plugin)."""
    try:
        result = _ctl("list_vhosts", "name")
        if result.returncode == 0:
            return name in result.stdout.split()
    except (FileNotFoundError, subprocess.TimeoutExpired):
        pass
    return _http("GET", f"/api/vhosts/{quote(name, safe='')}").status_code == 200
