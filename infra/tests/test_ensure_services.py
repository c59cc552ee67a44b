"""infra/local/ensure-services.sh on a CI runner with service containers: the servers answer
on loopback but none of their programs (pg_isready, redis-cli, rabbitmq-*) is installed. The
script must accept them as they are, and must not mistake a port that merely accepts
connections for a broker."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import ROOT

SCRIPT = ROOT / "infra/local/ensure-services.sh"


@pytest.fixture
def bare_path(tmp_path: Path) -> str:
    """A PATH with only bash and python3: no server programs, no apt-get, no psql."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("bash", "python3"):
        found = shutil.which(name)
        assert found is not None
        (bin_dir / name).symlink_to(found)
    return str(bin_dir)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never speaks (a container still booting)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        held = []
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue
        for conn in held:
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


def _run(path: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": path, "HOME": os.environ.get("HOME", "/tmp"), **env},
    )


def test_servers_that_answer_need_no_local_programs(bare_path: str) -> None:
    proc = _run(bare_path)
    assert proc.returncode == 0, proc.stderr
    assert "already answer" in proc.stderr


def test_a_port_that_does_not_speak_amqp_is_not_a_broker(bare_path: str, silent_port: int) -> None:
    proc = _run(bare_path, AMQP_PORT=str(silent_port))
    assert proc.returncode != 0
    assert "already answer" not in proc.stderr
    # It then looks for the programs and, unable to install them here, says what is missing.
    assert "missing:" in proc.stderr
