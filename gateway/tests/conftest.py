"""Real nginx in front of a tiny echo upstream: tests what the gateway itself does.

The upstream answers every path with the path and headers it received, so routing, the
absence of rewrites and the headers passed on can be checked without the services.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
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


ECHO_APP = """
import json, sys
async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"}); return
    if scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.accept"})
        await receive()  # the client's first message
        await send({"type": "websocket.send", "text": json.dumps({"path": scope["path"]})})
        await send({"type": "websocket.close"})
        return
    body = b""
    while True:
        msg = await receive()
        body += msg.get("body", b"")
        if not msg.get("more_body"):
            break
    headers = {k.decode(): v.decode() for k, v in scope["headers"]}
    payload = json.dumps({"path": scope["path"], "query": scope["query_string"].decode(),
                          "headers": headers, "body_len": len(body), "pad": "x" * 2048}).encode()
    # Like the services, answer with the request id received (nginx must not double it).
    rid = headers.get("x-request-id", "").encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"x-request-id", rid)]})
    await send({"type": "http.response.body", "body": payload})
"""


@pytest.fixture(scope="session")
def echo_upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    folder = tmp_path_factory.mktemp("echo")
    (folder / "echo_app.py").write_text(ECHO_APP)
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "echo_app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=folder,
    )
    try:
        _wait_port(port)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1, so the TLS server block can be exercised."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@dataclass(frozen=True)
class Gateway:
    url: str
    tls_url: str
    folder: Path


@pytest.fixture(scope="session")
def gateway(gateway_run: Gateway) -> str:
    return gateway_run.url


@pytest.fixture(scope="session")
def gateway_run(tmp_path_factory: pytest.TempPathFactory, echo_upstream: int) -> Iterator[Gateway]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.fail("nginx is not installed: run `make setup` (infra/local/ensure-tools.sh)")
    out = tmp_path_factory.mktemp("nginx")
    # nginx's workers drop root for an unprivileged user: the SPA files must be world-readable,
    # which pytest's private tmp folders are not.
    spa = Path(tempfile.mkdtemp(prefix="tf-spa-"))
    spa.chmod(0o755)
    (spa / "index.html").write_text("<!doctype html><title>Taskflow</title><div id=root></div>")
    (spa / "assets").mkdir(mode=0o755)
    (spa / "assets" / "app-3f9a.js").write_text("console.log('taskflow');" * 100)
    port = _free_port()
    tls_port = _free_port()
    cert_file, key_file = _self_signed(out)
    upstream = f"127.0.0.1:{echo_upstream}"
    env = {
        "TLS_LISTEN": f"127.0.0.1:{tls_port}",
        "TLS_CERT_FILE": str(cert_file),
        "TLS_KEY_FILE": str(key_file),
        "GATEWAY_LISTEN": f"127.0.0.1:{port}",
        "AUTH_UPSTREAM": upstream,
        "TASKS_UPSTREAM": upstream,
        "NOTIFICATIONS_UPSTREAM": upstream,
        "AUDIT_UPSTREAM": upstream,
        "REPORTING_UPSTREAM": upstream,
        "SPA_ROOT": str(spa),
        "RATE_AUTH": "30r/m",
        "RATE_AUTH_BURST": "3",
    }
    staged = render.render(out, env)
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
        ],
    )
    try:
        _wait_port(port)
        _wait_port(tls_port)
        yield Gateway(f"http://127.0.0.1:{port}", f"https://127.0.0.1:{tls_port}", out)
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(spa, ignore_errors=True)
        if staged is not None:
            shutil.rmtree(staged, ignore_errors=True)


@pytest.fixture
async def client(gateway: str) -> httpx.AsyncClient:
    async with httpx.AsyncClient(base_url=gateway, timeout=10) as c:
        yield c
