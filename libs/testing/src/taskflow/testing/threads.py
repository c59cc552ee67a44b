"""What FastAPI would run in its worker-thread pool: every route must have nothing there.

FastAPI calls a plain ``def`` endpoint or dependency (a class used as a dependency included:
its ``__init__`` is plain) through ``run_in_threadpool``. On a hot path that handoff cost more
than the work (a task list spent an eighth of its CPU moving two tiny parameter objects
through the pool), and the pool's 40 threads are a limit of their own under load. So every
endpoint and dependency of our apps is ``async``; :func:`threaded_calls` finds the ones that
are not, for a test to fail on.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts


def _runs_on_the_loop(call: Any) -> bool:
    if inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call):
        return True
    if inspect.isclass(call) or inspect.isfunction(call) or inspect.ismethod(call):
        return False
    dunder = getattr(call, "__call__", None)  # noqa: B004 (a callable instance's own method)
    return inspect.iscoroutinefunction(dunder) or inspect.isasyncgenfunction(dunder)


def _walk(dependant: Any, where: str) -> Iterator[str]:
    for sub in dependant.dependencies:
        if sub.call is not None and not _runs_on_the_loop(sub.call):
            name = getattr(sub.call, "__qualname__", type(sub.call).__qualname__)
            yield f"{where}: dependency {sub.call.__module__}.{name}"
        yield from _walk(sub, where)


def threaded_calls(app: FastAPI) -> list[str]:
    """Every endpoint or dependency of ``app`` that FastAPI would call in a worker thread."""
    found: list[str] = []
    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        if not isinstance(route, APIRoute | APIWebSocketRoute):
            continue
        where = f"{','.join(sorted(ctx.methods or ())) or 'WS'} {ctx.path}"
        if not _runs_on_the_loop(route.endpoint):
            found.append(f"{where}: endpoint {route.endpoint.__qualname__}")
        found.extend(_walk(route.dependant, where))
    return sorted(set(found))
