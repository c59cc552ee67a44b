"""Run every Procfile process, restart the one that exits, stop them all on Ctrl-C.

`make dev` used honcho, which stops every process as soon as one exits: one worker crashing on
a broker restart took the whole system down. This supervisor keeps the others running, says
which process failed (name, exit code, its last log lines) and restarts it with exponential
backoff (reset once it has stayed up for a while). supervisord or circus could do it too, but
both want their own configuration file and daemon; the Procfile stays the one list of
processes, and this is a small asyncio loop over the standard library.

Each command runs through ``/bin/sh -c`` (``${VAR}`` expands as under honcho) in its own
process group, so that stopping it reaches ``uv run``'s child too. On SIGINT/SIGTERM every
group gets SIGTERM (the workers finish their in-flight work), then SIGKILL after a grace period.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

COLOURS = (36, 33, 32, 35, 34, 31, 96, 93, 92, 95, 94, 91)


@dataclass
class Policy:
    """How restarts back off and how long a stop may take."""

    base: float = 1.0  # first restart delay, seconds
    cap: float = 30.0  # longest restart delay
    stable_after: float = 30.0  # a process up this long starts again from `base`
    grace: float = 10.0  # SIGTERM to SIGKILL on stop
    tail: int = 20  # log lines shown when a process exits


@dataclass
class Proc:
    """One Procfile entry and what the supervisor knows about it."""

    name: str
    command: str
    colour: int = 0
    restarts: int = 0
    last_exit: int | None = None
    lines: collections.deque[str] = field(default_factory=lambda: collections.deque(maxlen=20))
    process: asyncio.subprocess.Process | None = None


def parse_procfile(text: str) -> list[Proc]:
    """`name: command` lines; blank lines and `#` comments are skipped."""
    procs = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, command = line.partition(":")
        if not sep or not name.strip() or not command.strip():
            raise ValueError(f"not a Procfile line: {raw!r}")
        procs.append(Proc(name.strip(), command.strip()))
    return procs


class Supervisor:
    """Start, watch, restart and stop a set of processes."""

    def __init__(self, procs: list[Proc], policy: Policy | None = None, out=None) -> None:  # type: ignore[no-untyped-def]
        self.procs = procs
        self.policy = policy or Policy()
        self.out = out or sys.stdout
        self.stopping = asyncio.Event()
        width = max((len(p.name) for p in procs), default=0)
        self._width = max(width, len("supervisor"))
        for i, proc in enumerate(procs):
            proc.colour = COLOURS[i % len(COLOURS)]
            proc.lines = collections.deque(maxlen=self.policy.tail)

    def say(self, name: str, text: str, colour: int = 1) -> None:
        """One prefixed line, coloured when writing to a terminal."""
        prefix = f"{time.strftime('%H:%M:%S')} {name.ljust(self._width)} |"
        if self.out.isatty():
            prefix = f"\033[{colour}m{prefix}\033[0m"
        self.out.write(f"{prefix} {text}\n")
        self.out.flush()

    async def run(self) -> None:
        """Supervise until `stop()`; then stop every process and return."""
        watchers = [asyncio.create_task(self._watch(p), name=p.name) for p in self.procs]
        await self.stopping.wait()
        await asyncio.gather(*(self._terminate(p) for p in self.procs))
        for task in watchers:
            task.cancel()
        await asyncio.gather(*watchers, return_exceptions=True)
        self.say("supervisor", "every process stopped")

    def stop(self) -> None:
        """Ask for a clean stop of everything (idempotent)."""
        if not self.stopping.is_set():
            self.say("supervisor", "stopping every process")
            self.stopping.set()

    async def _watch(self, proc: Proc) -> None:
        """Run `proc` again and again until the supervisor stops."""
        delay = self.policy.base
        while not self.stopping.is_set():
            started = time.monotonic()
            code = await self._run_once(proc)
            if self.stopping.is_set():
                return
            proc.last_exit = code
            if time.monotonic() - started >= self.policy.stable_after:
                delay = self.policy.base
            self.say("supervisor", f"{proc.name} exited with code {code}; last lines:", 31)
            for line in proc.lines:
                self.say("supervisor", f"  {proc.name}: {line}", 31)
            self.say("supervisor", f"restarting {proc.name} in {delay:.0f}s", 31)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), delay)
            delay = min(self.policy.cap, delay * 2)
            proc.restarts += 1

    async def _run_once(self, proc: Proc) -> int:
        """Start `proc`, echo its output with its name, and return its exit code."""
        proc.lines.clear()
        proc.process = await asyncio.create_subprocess_exec(
            "/bin/sh",
            "-c",
            proc.command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # its own process group: a stop reaches its children
            limit=1 << 20,  # a long JSON log line must not end the reader
        )
        if self.stopping.is_set():  # the stop came while it was starting: it never runs on
            await self._terminate(proc)
        self.say(proc.name, f"started (pid {proc.process.pid})", proc.colour)
        assert proc.process.stdout is not None
        async for raw in proc.process.stdout:
            line = raw.decode(errors="replace").rstrip("\n")
            proc.lines.append(line)
            self.say(proc.name, line, proc.colour)
        return await proc.process.wait()

    async def _terminate(self, proc: Proc) -> None:
        """SIGTERM the process group, then SIGKILL it after the grace period."""
        process = proc.process
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), self.policy.grace)
        except TimeoutError:
            self.say("supervisor", f"{proc.name} ignored SIGTERM; killing it", 31)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
        self.say(proc.name, f"stopped (code {process.returncode})", proc.colour)


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-f", "--procfile", default="Procfile", type=Path)
    parser.add_argument("--backoff", type=float, default=Policy.base, help="first restart delay")
    parser.add_argument("--backoff-cap", type=float, default=Policy.cap)
    parser.add_argument("--grace", type=float, default=Policy.grace)
    args = parser.parse_args(argv)
    procs = parse_procfile(args.procfile.read_text())
    policy = Policy(base=args.backoff, cap=args.backoff_cap, grace=args.grace)
    supervisor = Supervisor(procs, policy)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(sig, supervisor.stop)
    await supervisor.run()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
