"""The images run with a read-only root filesystem and a writable /tmp only (the chart's
readOnlyRootFilesystem and emptyDir, compose's read_only and tmpfs). No Docker engine runs
here, so the same processes start the way the images start them, in a mount namespace whose
root is remounted read-only with a fresh tmpfs on one scratch directory (the images' /tmp; not
/tmp itself, which may hold the checkout, as CI's clone does): the gateway (render.py, then nginx)
and an api with two uvicorn processes. Each must answer /healthz; a write anywhere else
(a config rendered beside its template, a cache in the source tree) fails it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import textwrap

import pytest

from .conftest import ROOT

SCRIPT = textwrap.dedent(
    """
    set -e
    mount --make-rprivate /
    mount -o remount,bind,ro /
    mount -t tmpfs tmpfs "$W"
    if touch "$ROOT/.ro-probe" 2>/dev/null; then echo "root is still writable"; exit 3; fi
    cd "$ROOT"
    # As the images set them (Dockerfile, gateway/Dockerfile).
    export PYTHONDONTWRITEBYTECODE=1 TMPDIR="$W" HOME="$W"
    SPA_ROOT="$ROOT/gateway/html/spa" GATEWAY_HTML_DIR="$ROOT/gateway/html" \\
        GATEWAY_LISTEN="127.0.0.1:$GW_PORT" NGINX_LOG_DIR="$W/nginx/logs" \\
        python3 gateway/render.py --out "$W/nginx" >/dev/null
    ln -sf /dev/null "$W/nginx/logs/access.log"
    nginx -c "$W/nginx/nginx.conf" -p "$W/nginx" -e /dev/stderr -g 'daemon off;' & NGINX=$!
    REPORTING_HOST=127.0.0.1 REPORTING_PORT="$API_PORT" REPORTING_LOG_LEVEL=WARNING \\
        .venv/bin/taskflow-reporting api --workers 2 & API=$!
    trap 'kill $NGINX $API 2>/dev/null; wait' EXIT
    .venv/bin/python - <<'PY'
    import os, time, urllib.request
    for port in (os.environ["GW_PORT"], os.environ["API_PORT"]):
        url = f"http://127.0.0.1:{port}/healthz"
        for _ in range(300):
            try:
                print(url, urllib.request.urlopen(url, timeout=2).status, flush=True)
                break
            except OSError as exc:
                err = exc
                time.sleep(0.5)
        else:
            raise SystemExit(f"{url}: {err}")
    PY
    """
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _privileged() -> list[str]:
    """A mount namespace needs root: as root, nothing; on a CI runner, passwordless sudo."""
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"], check=False).returncode == 0:
        return ["sudo", "-n", "--preserve-env=ROOT,W,GW_PORT,API_PORT"]
    pytest.fail("a read-only root needs root or passwordless sudo (unshare --mount)")


@pytest.mark.timeout(300)
def test_gateway_and_api_run_on_a_read_only_root() -> None:
    for program in ("unshare", "nginx"):
        if shutil.which(program) is None and not os.path.exists(f"/usr/sbin/{program}"):
            pytest.fail(f"{program} is missing (make services installs nginx)")
    # The one writable place, made before the root turns read-only (a mount point must exist).
    (ROOT / ".dev").mkdir(exist_ok=True)
    scratch = tempfile.mkdtemp(prefix="ro-tmp-", dir=ROOT / ".dev")
    env = {
        **os.environ,
        "ROOT": str(ROOT),
        "W": scratch,
        "GW_PORT": str(_free_port()),
        "API_PORT": str(_free_port()),
        "PATH": os.environ.get("PATH", "") + ":/usr/sbin:/sbin",
    }
    try:
        proc = subprocess.run(
            [*_privileged(), "unshare", "--mount", "--fork", "sh", "-c", SCRIPT],
            env=env,
            capture_output=True,
            text=True,
            timeout=280,
            check=False,
        )
    finally:
        os.rmdir(scratch)  # the tmpfs went with the namespace; the mount point is empty
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    assert proc.stdout.count(" 200") == 2, proc.stdout
