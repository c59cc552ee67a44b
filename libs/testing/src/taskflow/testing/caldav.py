"""A real Radicale 3 CalDAV server in a subprocess, for the calendar sync tests.

One service account writes every user's calendars (``rights = authenticated``), as the
notifications service does in production. Radicale does not create parent collections: make
``/<user>/`` with MKCOL before MKCALENDAR ``/<user>/<calendar>/``.
"""

from __future__ import annotations

import contextlib
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from taskflow.testing.helpers import free_port


@dataclass
class CaldavServer:
    """A running Radicale: ``.url`` (no trailing slash), ``.username``, ``.password``."""

    folder: Path
    host: str = "127.0.0.1"
    username: str = "taskflow"
    password: str = field(default_factory=lambda: secrets.token_hex(12))
    port: int = 0
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def auth(self) -> tuple[str, str]:
        """``(username, password)`` for ``httpx.BasicAuth`` / ``auth=``."""
        return (self.username, self.password)

    def _write_config(self) -> Path:
        storage = self.folder / "collections"
        storage.mkdir(parents=True, exist_ok=True)
        users = self.folder / "users"
        users.write_text(f"{self.username}:{self.password}\n", encoding="utf-8")
        users.chmod(0o600)
        config = self.folder / "config"
        config.write_text(
            "\n".join(
                [
                    "[server]",
                    f"hosts = {self.host}:{self.port}",
                    "[auth]",
                    "type = htpasswd",
                    f"htpasswd_filename = {users}",
                    "htpasswd_encryption = plain",
                    # Radicale sleeps after a failed login by default; tests of bad
                    # credentials should not pay for it.
                    "delay = 0",
                    "[rights]",
                    "type = authenticated",
                    "[storage]",
                    f"filesystem_folder = {storage}",
                    "[web]",
                    "type = none",
                    "[logging]",
                    "level = warning",
                    "mask_passwords = True",
                    "",
                ]
            ),
            encoding="utf-8",
        )
        return config

    def start(self, timeout: float = 20.0, attempts: int = 3) -> CaldavServer:
        """Start Radicale on a free port and wait until it answers HTTP."""
        log_path = self.folder / "radicale.log"
        for _ in range(attempts):
            self.port = free_port(self.host)
            config = self._write_config()
            with log_path.open("ab") as log:
                process = subprocess.Popen(  # noqa: S603 - our interpreter, our arguments
                    [sys.executable, "-m", "radicale", "--config", str(config)],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                )
            self._process = process
            if self._wait_ready(process, timeout):
                return self
            self.stop()
        output = log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
        raise RuntimeError(f"Radicale did not start on {self.host}; its log:\n{output}")

    def _wait_ready(self, process: subprocess.Popen[bytes], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=1.0) as client:
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    return False  # exited: most likely the port was taken meanwhile
                try:
                    response = client.request("OPTIONS", self.url + "/", auth=self.auth)
                    if response.status_code < 500:
                        return True
                except httpx.HTTPError:
                    pass
                time.sleep(0.05)
        return False

    def stop(self) -> None:
        """Terminate Radicale (SIGTERM, then SIGKILL after 5 s)."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
