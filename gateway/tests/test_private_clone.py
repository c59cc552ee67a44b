"""The gateway serves the SPA wherever the clone lives, whoever runs it (issue 18's "Done when").

As root, nginx's workers run as `nobody` and could not read a clone under `/root` (mode 700):
`/` answered 500. Here the SPA, the docs page and nginx's own prefix live in folders only
their owner can enter, like `/root/taskflow`, and nginx is started exactly as `make dev` does.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

GATEWAY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(GATEWAY))

import render  # noqa: E402


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


@pytest.fixture
def private_clone(echo_upstream: int) -> Iterator[tuple[str, Path]]:
    """A clone-like folder with mode 700: SPA build, gateway pages, nginx prefix inside."""
    home = Path(tempfile.mkdtemp(prefix="tf-private-home-"))
    home.chmod(0o700)
    spa = home / "frontend" / "dist"
    (spa / "assets").mkdir(parents=True)
    (spa / "index.html").write_text(
        "<!doctype html><title>Taskflow</title><div id=root>private</div>"
    )
    (spa / "assets" / "app-1.js").write_text("console.log('private');")
    html = home / "gateway" / "html"
    shutil.copytree(GATEWAY / "html", html)
    out = home / ".dev" / "nginx"
    port = _free_port()
    upstream = f"127.0.0.1:{echo_upstream}"
    env = {
        "GATEWAY_LISTEN": f"127.0.0.1:{port}",
        "SPA_ROOT": str(spa),
        "GATEWAY_HTML_DIR": str(html),
        **{
            f"{s}_UPSTREAM": upstream
            for s in ("AUTH", "TASKS", "NOTIFICATIONS", "AUDIT", "REPORTING")
        },
    }
    staged = render.render(out, env)
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    proc = subprocess.Popen(
        [
            nginx,
            "-c",
            str(out / "nginx.conf"),
            "-p",
            str(out),
            "-e",
            str(out / "logs" / "error.log"),
            "-g",
            "daemon off;",
        ]
    )
    try:
        _wait_port(port)
        yield f"http://127.0.0.1:{port}", out
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(home, ignore_errors=True)
        if staged is not None:
            shutil.rmtree(staged, ignore_errors=True)


async def test_spa_docs_and_large_bodies_from_a_private_clone(
    private_clone: tuple[str, Path],
) -> None:
    url, out = private_clone
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        page = await client.get("/projects/x/board")
        assert page.status_code == 200, (out / "logs" / "error.log").read_text()[-2000:]
        assert "private" in page.text
        asset = await client.get("/assets/app-1.js")
        assert asset.status_code == 200
        assert "private" in asset.text
        docs = await client.get("/api/docs")
        assert docs.status_code == 200
        assert "/api/openapi/tasks.json" in docs.text
        # Bodies above nginx's in-memory buffer go through a temp file the worker writes.
        big = await client.post("/api/v1/tasks/x", content=b"x" * 300_000)
        assert big.status_code == 200, (out / "logs" / "error.log").read_text()[-2000:]
        assert big.json()["body_len"] == 300_000


def test_staging_only_when_needed(tmp_path: Path) -> None:
    """Everything readable by others: the originals are used as they are, nothing is copied."""
    public = Path(tempfile.mkdtemp(prefix="tf-public-"))
    try:
        public.chmod(0o755)
        (public / "index.html").write_text("x")
        (public / "index.html").chmod(0o644)
        assert render.readable_by_others(public)
        private = tmp_path / "p"
        private.mkdir(mode=0o700)
        (private / "index.html").write_text("x")
        assert not render.readable_by_others(private)
        (public / "index.html").chmod(0o600)
        assert not render.readable_by_others(public)
        (public / "index.html").chmod(0o644)
        values = {"SPA_ROOT": str(public), "GATEWAY_HTML_DIR": str(public)}
        out = Path(tempfile.mkdtemp(prefix="tf-out-"))
        out.chmod(0o755)
        try:
            assert render.stage(out, values, {}) is None
            assert values["SPA_ROOT"] == str(public)
        finally:
            shutil.rmtree(out, ignore_errors=True)
    finally:
        shutil.rmtree(public, ignore_errors=True)
