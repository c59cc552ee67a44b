"""The end-to-end harness: every service's api and worker as real processes behind real nginx.

Nothing here imports a service's package: services are found on disk
(``services/<svc>/openapi.json``) and run through their console scripts
(``uv run --no-sync taskflow-<svc> api|worker``), exactly as ``make dev`` runs them. Each
process gets its settings from environment variables only (``<SVC>_...``), so the harness
tests the same configuration surface operators use.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx

from taskflow.testing import free_port

ROOT = Path(__file__).resolve().parents[1]
SERVICES: tuple[str, ...] = ("auth", "tasks", "notifications", "audit", "reporting")
UV = shutil.which("uv") or str(Path.home() / ".local" / "bin" / "uv")

#: The queue each service's worker consumes (declared by the worker itself). Events published
#: before a queue exists and is bound are unroutable and lost, so the harness waits until each
#: of these has a consumer before any test runs.
WORKER_QUEUES: dict[str, str] = {
    "notifications": "notifications.events",
    "audit": "audit.events",
    "reporting": "reporting.events",
    "tasks": "tasks.recurrence",
}

T = TypeVar("T")


# --------------------------------------------------------------------------- discovery


@dataclass(frozen=True)
class ServiceInfo:
    """What exists of one service: None fields mean "fine", strings say what is missing."""

    name: str
    missing: str | None
    has_worker: bool = False

    @property
    def available(self) -> bool:
        return self.missing is None


_PROBE = r"""
import contextlib, io, json, sys, traceback
out = {}
for service in sys.argv[1:]:
    try:
        module = __import__(f"taskflow.{service}.cli", fromlist=["main"])
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer), contextlib.suppress(SystemExit):
            module.main(["--help"])
        out[service] = {"help": buffer.getvalue()}
    except BaseException:
        out[service] = {"error": traceback.format_exc(limit=3)[-600:]}
print(json.dumps(out))
"""


def discover(services: Iterable[str] = SERVICES) -> dict[str, ServiceInfo]:
    """Which services are built: an OpenAPI document and a CLI that imports and has `api`.

    One interpreter imports every CLI (the shared libraries load once), which on two cores
    is several times faster than one `taskflow-<svc> --help` per service.
    """
    result: dict[str, ServiceInfo] = {}
    candidates = []
    for service in services:
        if not (ROOT / "services" / service).is_dir():
            result[service] = ServiceInfo(service, f"services/{service} does not exist")
        elif not (ROOT / "services" / service / "openapi.json").is_file():
            result[service] = ServiceInfo(
                service, f"services/{service}/openapi.json is not committed"
            )
        else:
            candidates.append(service)
    if candidates:
        probe = subprocess.run(  # noqa: S603 (our own argv)
            [UV, "run", "--no-sync", "python", "-c", _PROBE, *candidates],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env=_base_env(),
        )
        try:
            answers = json.loads(probe.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            answers = {s: {"error": probe.stderr[-600:]} for s in candidates}
        for service in candidates:
            answer = answers.get(service, {"error": "no answer"})
            text = answer.get("help", "")
            if "error" in answer:
                missing: str | None = f"taskflow.{service}.cli does not import: {answer['error']}"
            elif not re.search(r"\bapi\b", text):
                missing = f"taskflow-{service} has no `api` command"
            else:
                missing = None
            result[service] = ServiceInfo(
                service, missing, has_worker=bool(re.search(r"\bworker\b", text))
            )
    return {s: result[s] for s in services}


# --------------------------------------------------------------------------- processes


def _base_env() -> dict[str, str]:
    """The parent's environment without any service setting that could leak in from `.env`."""
    prefixes = tuple(f"{s.upper()}_" for s in SERVICES)
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env["UV_PYTHON_DOWNLOADS"] = "never"
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class Proc:
    """One child process with its log file; stopped with SIGTERM, then SIGKILL."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Proc:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        try:
            # A session of its own: `uv run` spawns the real interpreter as a child, and the
            # stop signal must reach both (we signal the group we created, nothing else).
            self.popen = subprocess.Popen(  # noqa: S603 (our own argv)
                self.argv,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            log.close()
        return self

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, grace: float = 10.0) -> int | None:
        """SIGTERM the process group, wait `grace` seconds, then SIGKILL it."""
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            # `uv run` passes SIGTERM on to the interpreter it started; signalling the whole
            # group would deliver it twice.
            with contextlib.suppress(ProcessLookupError):
                self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(5)
        # The group may hold a grandchild that outlived `uv run`.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        return self.popen.returncode


# --------------------------------------------------------------------------- the system


@dataclass
class Backing:
    """The real servers every process is pointed at (all private to this run)."""

    database: Any  # taskflow.testing.postgres.FreshDatabase
    amqp_url: str
    redis_url: str
    redis_prefix: str
    smtp_host: str
    smtp_port: int
    caldav_url: str
    caldav_username: str
    caldav_password: str
    #: The SMTP sink (taskflow.testing.smtp.SmtpSink) the notifications processes send to.
    mail: Any = None
    #: The Radicale server (taskflow.testing.caldav.CaldavServer).
    calendar: Any = None


@dataclass
class System:
    """The running system: its gateway URL, the ports of each api, and every process."""

    services: dict[str, ServiceInfo]
    backing: Backing
    workdir: Path
    ports: dict[str, int] = field(default_factory=dict)
    procs: dict[str, Proc] = field(default_factory=dict)
    gateway_port: int = 0
    spa_dir: Path | None = None
    #: The world-readable folder gateway/render.py staged files in (when run as root), if any.
    gateway_staged: Path | None = None

    @property
    def running(self) -> list[str]:
        """Services whose processes were started (available ones)."""
        return [s for s, info in self.services.items() if info.available]

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    def direct_url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def jwks_url(self) -> str:
        return f"{self.direct_url('auth')}/api/v1/auth/.well-known/jwks.json"

    # ---------------------------------------------------------------- environment

    def service_env(self, service: str) -> dict[str, str]:
        """The environment of one service's api and worker: everything private to this run."""
        b = self.backing
        p = service.upper() + "_"
        env = _base_env()
        env.update(
            {
                p + "ENVIRONMENT": "test",
                p + "HOST": "127.0.0.1",
                p + "PORT": str(self.ports[service]),
                p + "DATABASE_URL": b.database.url_for(f"taskflow_{service}"),
                p + "AMQP_URL": b.amqp_url,
                p + "REDIS_URL": b.redis_url,
                p + "REDIS_PREFIX": b.redis_prefix,
                p + "JWKS_URL": self.jwks_url(),
                # Fetch the keys again soon after auth's first key appears.
                p + "JWKS_REFRESH_MIN_INTERVAL": "0",
                p + "PUBLIC_BASE_URL": self.gateway_url,
                p + "LOG_JSON": "true",
                p + "LOG_LEVEL": "INFO",
                # A dozen processes share one PostgreSQL (and, on a developer's machine, other
                # suites): small pools keep the whole system far below max_connections.
                p + "DB_POOL_SIZE": "3",
                p + "DB_MAX_OVERFLOW": "4",
            }
        )
        extra = SERVICE_SETTINGS.get(service)
        if extra is not None:
            env.update(extra(self))
        return env

    # ---------------------------------------------------------------- life cycle

    def start(self) -> None:
        """Start every available api and worker, then nginx; wait until all are ready."""
        for service in SERVICES:
            self.ports[service] = free_port()
        self.gateway_port = free_port()
        logs = self.workdir / "logs"
        for service in self.running:
            env = self.service_env(service)
            cli = [UV, "run", "--no-sync", f"taskflow-{service}"]
            self.procs[service] = Proc(service, [*cli, "api"], env, logs / f"{service}.log")
            if self.services[service].has_worker:
                self.procs[f"{service}-worker"] = Proc(
                    f"{service}-worker", [*cli, "worker"], env, logs / f"{service}-worker.log"
                )
        for proc in self.procs.values():
            proc.start()
        self._start_gateway()
        asyncio.run(self._wait_ready())

    def _start_gateway(self) -> None:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(nginx).exists():
            raise RuntimeError("nginx is not installed: run `make setup`")
        sys.path.insert(0, str(ROOT / "gateway"))
        import render  # the gateway's own renderer: the same config as `make dev`

        out = self.workdir / "nginx"
        # nginx workers run unprivileged: the SPA files must be world-readable.
        self.spa_dir = Path(tempfile.mkdtemp(prefix="tf-e2e-spa-"))
        self.spa_dir.chmod(0o755)
        (self.spa_dir / "index.html").write_text("<!doctype html><title>Taskflow</title>")
        built = ROOT / "frontend" / "dist"
        if (built / "index.html").is_file():
            self.publish_spa(built)
        env = {
            "GATEWAY_LISTEN": f"127.0.0.1:{self.gateway_port}",
            "SPA_ROOT": str(self.spa_dir),
            # The production budget for password guessing is 10/min with a burst of 5; the
            # story logs in a few times per user, so it gets a little more. Each simulated
            # user talks from its own loopback address (see e2e/story.py), like real clients.
            "RATE_AUTH": "30r/m",
            "RATE_AUTH_BURST": "10",
        }
        for service in SERVICES:
            env[f"{service.upper()}_UPSTREAM"] = f"127.0.0.1:{self.ports[service]}"
        self.gateway_staged = render.render(out, env)
        self.procs["gateway"] = Proc(
            "gateway",
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
            _base_env(),
            self.workdir / "logs" / "gateway.log",
        ).start()

    def publish_spa(self, dist: Path) -> None:
        """Serve this build of the web app (nginx reads files per request: no restart)."""
        assert self.spa_dir is not None
        shutil.copytree(dist, self.spa_dir, dirs_exist_ok=True)
        for folder, _dirs, files in os.walk(self.spa_dir):
            Path(folder).chmod(0o755)
            for name in files:
                Path(folder, name).chmod(0o644)

    async def _wait_ready(self, limit: float = 180.0) -> None:
        """Every api answers /readyz 200, nginx /healthz, every worker's queue has a consumer."""
        deadline = time.monotonic() + limit
        async with httpx.AsyncClient(timeout=3) as http:
            checks: list[Awaitable[None]] = [
                self._wait_http(http, s, f"{self.direct_url(s)}/readyz", deadline)
                for s in self.running
            ]
            checks.append(self._wait_http(http, "gateway", f"{self.gateway_url}/healthz", deadline))
            checks.extend(
                self._wait_queue(f"{s}-worker", WORKER_QUEUES[s], deadline)
                for s in self.running
                if self.services[s].has_worker and s in WORKER_QUEUES
            )
            await asyncio.gather(*checks)

    def _check_alive(self, name: str) -> None:
        proc = self.procs[name]
        if not proc.alive:
            raise RuntimeError(
                f"{name} exited with {proc.popen.returncode if proc.popen else '?'} "
                f"before it was ready; its log ends with:\n{proc.tail(60)}"
            )

    async def _wait_http(
        self, http: httpx.AsyncClient, name: str, url: str, deadline: float
    ) -> None:
        last = "no answer"
        while time.monotonic() < deadline:
            self._check_alive(name)
            try:
                response = await http.get(url)
                if response.status_code == 200:
                    return
                last = f"{response.status_code} {response.text[:300]}"
            except httpx.HTTPError as exc:
                last = type(exc).__name__
            await asyncio.sleep(0.2)
        raise RuntimeError(f"{name} not ready at {url} ({last}); log:\n{self.procs[name].tail(60)}")

    async def _wait_queue(self, name: str, queue: str, deadline: float) -> None:
        import aio_pika

        last = "queue not declared"
        connection = await aio_pika.connect(self.backing.amqp_url)
        try:
            while time.monotonic() < deadline:
                self._check_alive(name)
                channel = await connection.channel()
                try:
                    declared = await channel.declare_queue(queue, passive=True)
                    consumers = declared.declaration_result.consumer_count
                    if consumers and consumers > 0:
                        return
                    last = "queue has no consumer"
                except aio_pika.exceptions.ChannelClosed:
                    pass
                finally:
                    with contextlib.suppress(Exception):
                        await channel.close()
                await asyncio.sleep(0.2)
        finally:
            await connection.close()
        raise RuntimeError(f"{name}: {queue} not ready ({last}); log:\n{self.procs[name].tail(60)}")

    def stop(self) -> dict[str, int | None]:
        """Stop everything (gateway first, so no request reaches a dying api)."""
        codes: dict[str, int | None] = {}
        if "gateway" in self.procs:
            codes["gateway"] = self.procs["gateway"].stop()
        others = [p for n, p in self.procs.items() if n != "gateway"]
        with ThreadPoolExecutor(max_workers=max(1, len(others))) as pool:
            for proc, code in zip(others, pool.map(Proc.stop, others), strict=True):
                codes[proc.name] = code
        if self.spa_dir is not None:
            shutil.rmtree(self.spa_dir, ignore_errors=True)
        if self.gateway_staged is not None:
            shutil.rmtree(self.gateway_staged, ignore_errors=True)
        return codes

    def logs(self, lines: int = 30) -> str:
        """The last lines of every process's log, for a failure report."""
        parts = []
        for name, proc in self.procs.items():
            state = "running" if proc.alive else f"exited {proc.popen and proc.popen.returncode}"
            parts.append(f"----- {name} ({state}) {proc.log_path}\n{proc.tail(lines)}")
        return "\n".join(parts)

    def run_cli(
        self, service: str, *args: str, env: Mapping[str, str] | None = None, timeout: float = 60
    ) -> str:
        """Run a one-off service command (e.g. `create-admin`) with the service's environment."""
        result = subprocess.run(  # noqa: S603 (our own argv)
            [UV, "run", "--no-sync", f"taskflow-{service}", *args],
            cwd=ROOT,
            env={**self.service_env(service), **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"taskflow-{service} {args[0]} failed ({result.returncode}):\n"
                f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
            )
        return result.stdout


# --------------------------------------------------------------------------- settings


def _auth(system: System) -> dict[str, str]:
    # Cheap argon2: the story hashes a handful of passwords on 2 cores.
    return {
        "AUTH_ARGON2_TIME_COST": "1",
        "AUTH_ARGON2_MEMORY_COST_KIB": "1024",
        "AUTH_COOKIE_SECURE": "false",
    }


def _tasks(system: System) -> dict[str, str]:
    return {
        "TASKS_AUTH_URL": system.direct_url("auth"),
        "TASKS_RECURRENCE_INTERVAL_SECONDS": "1",
    }


def _notifications(system: System) -> dict[str, str]:
    b = system.backing
    return {
        "NOTIFICATIONS_SPA_BASE_URL": system.gateway_url,
        "NOTIFICATIONS_SMTP_HOST": b.smtp_host,
        "NOTIFICATIONS_SMTP_PORT": str(b.smtp_port),
        "NOTIFICATIONS_CALDAV_URL": b.caldav_url,
        "NOTIFICATIONS_CALDAV_USERNAME": b.caldav_username,
        "NOTIFICATIONS_CALDAV_PASSWORD": b.caldav_password,
        "NOTIFICATIONS_SENDER_POLL_INTERVAL": "0.2",
        "NOTIFICATIONS_SCHEDULER_POLL_INTERVAL": "0.5",
        "NOTIFICATIONS_DELIVERY_BACKOFF_BASE": "1",
        "NOTIFICATIONS_BREAKER_RESET_TIMEOUT": "2",
    }


def _audit(system: System) -> dict[str, str]:
    db = system.backing.database
    # Four roles on purpose (docs/services/audit.md): the api only reads, the consumer only
    # appends, only migrations own the schema.
    return {
        "AUDIT_DATABASE_URL": db.url_for("taskflow_audit_api"),
        "AUDIT_WORKER_DATABASE_URL": db.url_for("taskflow_audit_writer"),
        "AUDIT_MIGRATION_DATABASE_URL": db.url_for("taskflow_audit"),
        "AUDIT_RETENTION_DATABASE_URL": db.url_for("taskflow_audit_retention"),
        "AUDIT_BATCH_WAIT_SECONDS": "0.02",
    }


SERVICE_SETTINGS: Mapping[str, Callable[[System], dict[str, str]]] = {
    "auth": _auth,
    "tasks": _tasks,
    "notifications": _notifications,
    "audit": _audit,
}


# --------------------------------------------------------------------------- polling


async def poll(
    probe: Callable[[], Awaitable[T | None]],
    *,
    within: float = 15.0,
    interval: float = 0.2,
    what: str = "condition",
) -> T:
    """Call `probe` until it returns something other than None/False; fail after `timeout`.

    The last value or exception is in the failure message, so a timeout says what was seen.
    """
    deadline = time.monotonic() + within
    last: object = None
    while True:
        try:
            value = await probe()
            if value is not None and value is not False:
                return value
            last = value
        except AssertionError as exc:
            last = exc
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what}; last: {last!r}")
        await asyncio.sleep(interval)
