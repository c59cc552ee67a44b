"""`make dev`'s supervisor: one process exiting is reported and restarted, the others run on,
and a stop reaches every process (tiny shell commands stand in for the services)."""

from __future__ import annotations

import asyncio
import importlib.util
import io
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "infra" / "local" / "supervise.py"

_spec = importlib.util.spec_from_file_location("supervise", SCRIPT)
assert _spec is not None
assert _spec.loader is not None
supervise = importlib.util.module_from_spec(_spec)
sys.modules["supervise"] = supervise
_spec.loader.exec_module(supervise)

pytestmark = pytest.mark.timeout(40)


def alive(pid: int) -> bool:
    """Running, not a zombie: an orphaned grandchild waits for a reaper that a container's
    init may never be, and that says nothing about whether it was stopped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


async def until(check, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]  # noqa: ASYNC109 - a poll deadline
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


def test_procfile_lines_are_parsed_and_bad_ones_refused() -> None:
    procs = supervise.parse_procfile("# comment\n\nweb: echo ${PORT}:x\nworker:  sleep 1\n")
    assert [(p.name, p.command) for p in procs] == [
        ("web", "echo ${PORT}:x"),
        ("worker", "sleep 1"),
    ]
    with pytest.raises(ValueError, match="not a Procfile line"):
        supervise.parse_procfile("no colon here\n")


async def test_a_process_that_exits_is_reported_and_restarted_while_the_other_runs_on() -> None:
    out = io.StringIO()
    procs = supervise.parse_procfile(
        "crasher: echo about to fail; echo the reason; exit 3\n"
        "steady: while true; do echo tick; sleep 0.2; done\n"
    )
    crasher, steady = procs
    sup = supervise.Supervisor(procs, supervise.Policy(base=0.1, cap=0.4, grace=5), out=out)
    run = asyncio.create_task(sup.run())
    await until(lambda: steady.process is not None)
    steady_pid = steady.process.pid
    await until(lambda: crasher.restarts >= 3)
    # The steady one was never touched: same process, still running, still talking.
    assert steady.process.pid == steady_pid
    assert steady.process.returncode is None
    assert steady.restarts == 0
    log = out.getvalue()
    assert "crasher exited with code 3; last lines:" in log
    assert "crasher: the reason" in log
    assert "restarting crasher in" in log
    assert crasher.last_exit == 3

    sup.stop()
    await asyncio.wait_for(run, 10)
    assert not alive(steady_pid)
    assert "every process stopped" in out.getvalue()


async def test_restart_delay_grows_to_its_cap() -> None:
    out = io.StringIO()
    procs = supervise.parse_procfile("crasher: exit 1\n")
    sup = supervise.Supervisor(procs, supervise.Policy(base=0.2, cap=0.8, grace=5), out=out)
    run = asyncio.create_task(sup.run())
    await until(lambda: procs[0].restarts >= 4)
    sup.stop()
    await asyncio.wait_for(run, 10)
    delays = [
        line.rsplit(" in ", 1)[1] for line in out.getvalue().splitlines() if "restarting" in line
    ]
    assert delays[:4] == ["0s", "0s", "1s", "1s"]  # 0.2, 0.4, 0.8, 0.8 rounded


def test_ctrl_c_stops_every_process_and_its_children(tmp_path: Path) -> None:
    """SIGINT to the supervisor: each process group gets SIGTERM, even a `sh -c` grandchild."""
    marker = tmp_path / "terminated"
    pids = tmp_path / "pids"
    procfile = tmp_path / "Procfile"
    procfile.write_text(
        # A child of the shell traps TERM and records it, as a worker finishes in-flight work.
        f'graceful: sh -c \'trap "echo done > {marker}; exit 0" TERM; echo $$ >> {pids}; '
        "while true; do sleep 0.1; done'\n"
        f"plain: sh -c 'echo $$ >> {pids}; exec sleep 600'\n"
    )
    sup = subprocess.Popen(
        [sys.executable, str(SCRIPT), "-f", str(procfile), "--grace", "5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 15
    while not (pids.exists() and len(pids.read_text().split()) == 2):
        assert time.monotonic() < deadline, "processes did not start"
        time.sleep(0.05)
    children = [int(p) for p in pids.read_text().split()]
    assert all(alive(p) for p in children)

    sup.send_signal(signal.SIGINT)
    output, _ = sup.communicate(timeout=15)
    assert sup.returncode == 0, output
    assert marker.read_text().strip() == "done"
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in children):
        assert time.monotonic() < deadline, output
        time.sleep(0.05)
    assert "every process stopped" in output
