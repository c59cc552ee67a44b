"""`TASKFLOW_ENVIRONMENT=production` (or `GATEWAY_ENVIRONMENT`): no API docs through the gateway."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
import render  # on sys.path through conftest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"port {port} did not open")


@pytest.mark.parametrize("switch", ["TASKFLOW_ENVIRONMENT", "GATEWAY_ENVIRONMENT"])
def test_production_gateway_serves_no_api_docs(
    tmp_path: Path, echo_upstream: int, switch: str
) -> None:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    port = _free_port()
    upstream = f"127.0.0.1:{echo_upstream}"
    env = {
        switch: "production",
        "GATEWAY_LISTEN": f"127.0.0.1:{port}",
        **{
            f"{s}_UPSTREAM": upstream
            for s in ("AUTH", "TASKS", "NOTIFICATIONS", "AUDIT", "REPORTING")
        },
        "SPA_ROOT": str(tmp_path),
    }
    render.render(tmp_path / "nginx", env)
    out = tmp_path / "nginx"
    error_log = str(out / "logs" / "error.log")
    proc = subprocess.Popen(
        [nginx, "-c", str(out / "nginx.conf"), "-p", str(out), "-e", error_log, "-g", "daemon off;"]
    )
    try:
        _wait_port(port)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as c:
            for path in [
                "/api/docs",
                *(f"/api/openapi/{s}.json" for s in ("auth", "tasks", "audit")),
            ]:
                r = c.get(path)
                assert r.status_code == 404, (path, r.status_code)
                assert r.json()["code"] == "not_found"
            # The API itself is still routed.
            r = c.get("/api/v1/tasks")
            assert r.status_code == 200
            assert r.json()["path"] == "/api/v1/tasks"
    finally:
        proc.terminate()
        proc.wait(10)
