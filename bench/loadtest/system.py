"""The system under load: `make dev`'s processes, started here or found running, and their CPU.

The driver starts `infra/local/dev.sh` itself (the same script `make dev` runs: every api and
worker under the supervisor, the SMTP sink, Radicale, nginx) with the gateway's per-address
rate limits raised, because every simulated person talks from 127.0.0.1 and the production
budget (50 r/s per address) would turn the test into a test of the limiter.

CPU is read from /proc (utime + stime of every process whose command line names one of the
system's parts) before and after each load level, so each part's share is the CPU seconds it
spent during that level, whatever else ran.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
TICKS = os.sysconf("SC_CLK_TCK")

#: Process groups by a fragment of the command line (first match wins, most specific first).
PARTS: tuple[tuple[str, str], ...] = (
    ("taskflow-tasks webhooks", "tasks-webhooks"),
    ("taskflow-tasks worker", "tasks-worker (relay)"),
    ("taskflow-tasks api", "tasks api"),
    ("taskflow-auth worker", "auth-worker"),
    ("taskflow-auth api", "auth api"),
    ("taskflow-notifications worker", "notifications-worker"),
    ("taskflow-notifications api", "notifications api"),
    ("taskflow-audit worker", "audit-worker"),
    ("taskflow-audit api", "audit api"),
    ("taskflow-reporting worker", "reporting-worker"),
    ("taskflow-reporting api", "reporting api"),
    ("floor_app", "floor app"),
    ("nginx", "nginx"),
    ("postgres", "postgresql"),
    ("beam.smp", "rabbitmq"),
    ("redis-server", "redis"),
    ("bench/loadtest", "load driver"),
)


def _part_of(cmdline: str) -> str | None:
    for fragment, part in PARTS:
        if fragment in cmdline:
            return part
    return None


#: Ancestors past which a process is not attributed (everything descends from them).
BOUNDARIES = ("supervise.py", "dev.sh")


def cpu_by_part() -> dict[str, float]:
    """CPU seconds (user + system) spent so far by every running process, summed by part.

    A process whose command line names no part takes its nearest ancestor's: uvicorn's
    ``--workers`` children run as ``python -c "from multiprocessing.spawn import ..."``, and
    they, not their parent, serve the requests. CPU of processes that already exited is not
    counted (PostgreSQL backends of closed connections, for one).
    """
    procs: dict[int, tuple[str, int, float]] = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue  # gone meanwhile
        fields = stat.rsplit(")", 1)[1].split()
        ppid, utime, stime = int(fields[1]), int(fields[11]), int(fields[12])
        procs[int(pid)] = (cmdline, ppid, (utime + stime) / TICKS)
    totals: dict[str, float] = {}
    for pid, (_, _, cpu) in procs.items():
        part, seen = None, 0
        while pid in procs and seen < 6:
            cmdline, ppid, _ = procs[pid]
            if any(b in cmdline for b in BOUNDARIES):
                break
            part = _part_of(cmdline)
            if part is not None:
                break
            pid, seen = ppid, seen + 1
        if part is not None:
            totals[part] = totals.get(part, 0.0) + cpu
    return totals


def cpu_delta(before: Mapping[str, float], after: Mapping[str, float]) -> dict[str, float]:
    """Per part CPU seconds between two readings (a process that restarted counts from 0)."""
    return {k: max(0.0, v - before.get(k, 0.0)) for k, v in after.items()}


def gateway_up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass
class DevSystem:
    """`infra/local/dev.sh` run by the driver; `stop()` is Ctrl-C to the supervisor."""

    gateway: str
    process: subprocess.Popen[bytes] | None = None
    log_path: Path = ROOT / ".dev" / "loadtest-dev.log"

    def start(self, api_workers: int | None, timeout: float = 600) -> None:
        env = {
            **os.environ,
            "RATE_API": "100000r/s",
            "RATE_API_BURST": "100000",
            "RATE_AUTH": "100000r/m",
            "RATE_AUTH_BURST": "100000",
        }
        if api_workers is not None:
            env["API_WORKERS"] = str(api_workers)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [str(ROOT / "infra" / "local" / "dev.sh")],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while not self._ready():
            if self.process.poll() is not None:
                raise SystemExit(f"make dev exited; see {self.log_path}")
            if time.monotonic() > deadline:
                self.stop()
                raise SystemExit(
                    f"the system did not come up in {timeout:.0f}s; see {self.log_path}"
                )
            time.sleep(1)

    def _ready(self) -> bool:
        if not gateway_up(self.gateway):
            return False
        # Every api answers through the gateway (401/404 are answers; 502/503 are not).
        probes = ("/api/v1/users/me", "/api/v1/projects", "/api/v1/notifications",
                  "/api/v1/audit/events", "/api/v1/reports/me")  # fmt: skip
        try:
            return all(httpx.get(self.gateway + p, timeout=2).status_code < 500 for p in probes)
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
