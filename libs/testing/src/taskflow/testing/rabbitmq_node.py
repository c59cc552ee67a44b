"""A private RabbitMQ node that a test may stop and start (the shared one on 5672 stays up).

The node runs the machine's own ``rabbitmq-server`` with everything of its own: node name
``tf-<hex>@localhost``, an AMQP port and an Erlang distribution port on loopback, a data folder
(mnesia, logs, pid, an empty ``enabled_plugins`` so no management listener fights the shared
node's 15672), and ``RABBITMQ_CONF_ENV_FILE=/dev/null`` so that ``/etc/rabbitmq`` (which names
the shared node and port 5672) is never read. ``stop()`` and ``start()`` keep the data folder,
so durable queues and persistent messages survive a restart, exactly as they do in production.

The files are handed to the ``rabbitmq`` user when we run as root (the server refuses to run as
root on Debian: its wrapper switches user). Start-up takes ~10-15 s on two cores; readiness is
an AMQP connection that opens, not ``ping`` (which answers before the listener is up).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from taskflow.testing.helpers import free_port

USER = "guest"
PASSWORD = "guest"  # the broker's local default user, not a secret


class NodeError(RuntimeError):
    """The private node did not start or stop in time (its log tail is in the message)."""


def available() -> str | None:
    """None when a private node can run here, else why not (for a skip reason)."""
    if shutil.which("rabbitmq-server") is None or shutil.which("rabbitmqctl") is None:
        return "rabbitmq-server is not installed"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("rabbitmq")
        except KeyError:
            return "running as root without a rabbitmq user"
    return None


@dataclass
class RabbitNode:
    """One private node; ``start()``, ``stop()``, ``restart()``, ``destroy()``."""

    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="tf-rabbit-")))
    name: str = field(default_factory=lambda: f"tf-{secrets.token_hex(4)}@localhost")
    port: int = field(default_factory=free_port)
    dist_port: int = field(default_factory=free_port)
    start_timeout: float = 60.0
    #: Erlang terms for ``advanced.config`` (settings rabbitmq.conf has no key for), e.g.
    #: ``[{rabbit, [{dead_letter_worker_publisher_confirm_timeout, 2000}]}].``
    advanced_config: str | None = None
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        """AMQP URL of the default vhost as guest."""
        return f"amqp://{USER}:{PASSWORD}@127.0.0.1:{self.port}/"

    def _env(self) -> dict[str, str]:
        d = self.folder
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))}
        env.update(
            RABBITMQ_CONFIG_FILE=str(d / "rabbitmq.conf"),
            RABBITMQ_CONF_ENV_FILE="/dev/null",
            RABBITMQ_NODENAME=self.name,
            RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
            RABBITMQ_NODE_PORT=str(self.port),
            RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_MNESIA_BASE=str(d / "mnesia"),
            RABBITMQ_LOG_BASE=str(d / "log"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(d / "enabled_plugins"),
            RABBITMQ_PID_FILE=str(d / "pid"),
            RABBITMQ_ADVANCED_CONFIG_FILE=str(d / "advanced.config"),
            ERL_EPMD_ADDRESS="127.0.0.1",
            # Erlang's distribution on loopback only, like the shared node's.
            RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}",
            RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}",
        )
        return env

    def _prepare(self) -> None:
        d = self.folder
        for sub in ("mnesia", "log"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        (d / "enabled_plugins").write_text("[].\n")
        (d / "rabbitmq.conf").write_text(
            f"listeners.tcp.local = 127.0.0.1:{self.port}\n"
            "loopback_users = none\n"
            # A test machine's disk is often nearly full of other runs' data: do not block
            # publishers on the default 50 MB free-disk alarm, nor on memory (2 cores, shared).
            "disk_free_limit.absolute = 1MB\n"
            "vm_memory_high_watermark.relative = 0.8\n"
        )
        (d / "advanced.config").write_text(self.advanced_config or "[].\n")
        if os.geteuid() == 0:
            owner = pwd.getpwnam("rabbitmq")
            for path in [d, *d.rglob("*")]:
                os.chown(path, owner.pw_uid, owner.pw_gid)

    def _ctl(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        exe = shutil.which("rabbitmqctl") or "rabbitmqctl"
        return subprocess.run(  # noqa: S603 - fixed executable, our own arguments
            [exe, "-q", "-n", self.name, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env=self._env(),
        )

    def start(self) -> RabbitNode:
        """Start the node (first time: create its folder) and wait until AMQP accepts."""
        if self.process is not None and self.process.poll() is None:
            return self
        self._prepare()
        log = (self.folder / "server.out").open("ab")
        try:
            self.process = subprocess.Popen(  # noqa: S603 - the machine's own server script
                [shutil.which("rabbitmq-server") or "rabbitmq-server"],
                env=self._env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            log.close()
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise NodeError(
                    f"rabbitmq-server exited ({self.process.returncode}): {self.tail()}"
                )
            if self._amqp_answers():
                self.starts += 1
                return self
            time.sleep(0.25)
        raise NodeError(f"node {self.name} not ready in {self.start_timeout}s: {self.tail()}")

    def _amqp_answers(self) -> bool:
        """True once the listener speaks AMQP (the protocol header gets a Connection.Start)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"AMQP\x00\x00\x09\x01")
                sock.settimeout(2)
                return len(sock.recv(8)) > 0
        except OSError:
            return False

    def stop(self, timeout: float = 60) -> None:
        """Stop the node cleanly (``rabbitmqctl stop``): what an operator's restart does."""
        if self.process is None or self.process.poll() is not None:
            return
        self._ctl("stop", timeout=timeout)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """SIGKILL the node's process group (a crash, or cleanup of a stuck node)."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, 9)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10)

    def restart(self) -> None:
        """Stop, then start again with the same data."""
        self.stop()
        self.start()

    def destroy(self) -> None:
        """Stop the node and remove its folder."""
        try:
            self.stop(timeout=30)
        finally:
            self.kill()
            shutil.rmtree(self.folder, ignore_errors=True)

    def tail(self, lines: int = 30) -> str:
        """The last lines of the node's console output and log (for failure messages)."""
        out: list[str] = []
        for path in [self.folder / "server.out", *sorted((self.folder / "log").glob("*.log"))]:
            with contextlib.suppress(OSError):
                out += path.read_text(errors="replace").splitlines()[-lines:]
        return "\n".join(out[-lines:])
