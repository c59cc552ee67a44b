"""Small helpers shared by the fixtures and usable directly in tests.

Tests poll with :func:`wait_until` instead of sleeping a guessed amount, and servers started by
tests bind a port from :func:`free_port`.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

INIT_SQL_RELATIVE = Path("infra") / "postgres" / "init.sql"


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that was free a moment ago on ``host``.

    Another process can take it between this call and the bind, so callers that start a server
    on it should retry with a new port when the bind fails (the fixtures here do).
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


async def wait_until(
    predicate: Callable[[], Awaitable[T] | T],
    timeout: float = 15.0,  # noqa: ASYNC109 - a poll deadline, not a cancel scope
    interval: float = 0.05,
    message: str | None = None,
) -> T:
    """Poll ``predicate`` until it returns something truthy and return that value.

    ``predicate`` may be a plain or an ``async`` function. Raises :class:`TimeoutError` (with
    ``message`` and the last exception the predicate raised, if any) once ``timeout`` seconds
    pass. Exceptions from the predicate count as "not yet": a server that is still starting
    usually answers with a connection error first.

    The default deadline is generous on purpose: the machines that run the suite are shared and
    often loaded, and a poll returns as soon as the condition holds, so a long deadline costs
    nothing when things work and only turns "slow today" into a pass instead of a flake.
    """
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        try:
            result = predicate()
            if inspect.isawaitable(result):
                result = await result
            if result:
                return result
            last_error = None
        except Exception as exc:  # any failure means "not ready yet"
            last_error = exc
        if time.monotonic() >= deadline:
            what = message or getattr(predicate, "__qualname__", repr(predicate))
            detail = f" (last error: {last_error!r})" if last_error is not None else ""
            raise TimeoutError(f"condition not met within {timeout:.1f}s: {what}{detail}")
        await asyncio.sleep(interval)


def run_in_thread(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion on a fresh event loop in a worker thread and return its result.

    Session fixtures use this so they are plain (synchronous) fixtures that work whatever event
    loop scope the test suite runs with, and even while the caller's own loop is running.
    """
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = asyncio.run(factory())
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="taskflow-testing", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    result: T = box["result"]
    return result


def find_repo_root(*starts: Path | str | None) -> Path:
    """Find the repository root (the folder holding ``infra/postgres/init.sql``).

    Walks up from each start in turn (the plugin file, pytest's rootdir, the working directory).
    ``TASKFLOW_REPO_ROOT`` overrides the search.
    """
    override = os.environ.get("TASKFLOW_REPO_ROOT")
    if override:
        return Path(override).resolve()
    candidates = [Path(__file__).resolve(), *(Path(s).resolve() for s in starts if s), Path.cwd()]
    for start in candidates:
        for folder in (start, *start.parents):
            if (folder / INIT_SQL_RELATIVE).is_file():
                return folder
    raise FileNotFoundError(
        f"cannot find {INIT_SQL_RELATIVE} above {', '.join(str(c) for c in candidates)}; "
        "set TASKFLOW_REPO_ROOT"
    )
