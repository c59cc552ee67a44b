"""Circuit breaker state in real Redis; retries against a real local HTTP server."""

import ast
import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import redis as redis_sync
from common_testkit import serve
from fastapi import FastAPI, Response
from tenacity.stop import stop_after_attempt, stop_after_delay, stop_any
from tenacity.wait import wait_exponential_jitter

from taskflow.common.errors import ServiceUnavailable
from taskflow.common.resilience import AsyncCircuitBreaker, CircuitBreakerError, ResilientClient


async def failing() -> None:
    await asyncio.sleep(0)
    raise ConnectionError("down")


async def working() -> str:
    await asyncio.sleep(0)
    return "ok"


def _breaker(aredis: Any, prefix: str, name: str, **kw: Any) -> AsyncCircuitBreaker:
    return AsyncCircuitBreaker(name, redis_client=aredis, prefix=prefix, **kw)


async def test_breaker_counts_async_failures_and_opens(
    sync_redis: redis_sync.Redis, aredis: Any, rprefix: str
) -> None:
    name = f"smtp-{uuid.uuid4().hex[:6]}"
    # A reset timeout no loaded machine reaches during the test: "open" stays open here.
    breaker = _breaker(aredis, rprefix, name, fail_max=3, reset_timeout=300)
    for _ in range(2):
        with pytest.raises(ConnectionError):
            await breaker.call(failing)
    assert await breaker.current_state() == "closed"  # below fail_max
    assert await breaker.fail_count() == 2  # the awaited failures were counted
    with pytest.raises(ConnectionError):
        await breaker.call(failing)
    assert await breaker.current_state() == "open"
    # Fast failure while open: the function is not even called.
    calls = 0

    async def counted() -> str:
        nonlocal calls
        calls += 1
        return "ok"

    with pytest.raises(CircuitBreakerError):
        await breaker.call(counted)
    assert calls == 0
    # Another breaker object (another replica) with the same name sees it open.
    twin = _breaker(aredis, rprefix, name, fail_max=3, reset_timeout=300)
    assert await twin.current_state() == "open"
    with pytest.raises(CircuitBreakerError):
        await twin.call(counted)
    assert calls == 0
    assert sync_redis.exists(f"{rprefix}:breaker:{name}:opened_at_ms")


async def test_breaker_half_opens_after_its_timeout(
    sync_redis: redis_sync.Redis, aredis: Any, rprefix: str
) -> None:
    """After ``reset_timeout`` one trial call goes through: a failure reopens, a success closes."""
    name = f"cal-{uuid.uuid4().hex[:6]}"
    reset = 0.5
    breaker = _breaker(aredis, rprefix, name, fail_max=1, reset_timeout=reset)
    twin = _breaker(aredis, rprefix, name, fail_max=1, reset_timeout=reset)
    with pytest.raises(ConnectionError):
        await breaker.call(failing)
    opened = time.monotonic()
    assert await breaker.current_state() == "open"

    async def trial(func: Any) -> Any:
        """Poll (generous deadline) until the breaker lets a call through; return its outcome."""
        deadline = time.monotonic() + 30
        while True:
            try:
                return await breaker.call(func)
            except CircuitBreakerError:
                assert time.monotonic() < deadline, "the breaker never half-opened"
                await asyncio.sleep(0.05)

    with pytest.raises(ConnectionError):
        await trial(failing)  # the half-open trial fails ...
    # ... and it was let through only after the timeout (a lower bound: load only delays it).
    assert time.monotonic() - opened >= reset
    assert await breaker.current_state() == "open"  # ... so the breaker opened again
    assert await twin.current_state() == "open"
    reopened = time.monotonic()
    assert await trial(working) == "ok"
    assert time.monotonic() - reopened >= reset
    assert await breaker.current_state() == "closed"
    assert await twin.current_state() == "closed"


async def test_breaker_touches_redis_only_when_used(
    sync_redis: redis_sync.Redis, aredis: Any, rprefix: str
) -> None:
    # Building an app (at import, for its OpenAPI document) must not write to Redis.
    name = f"lazy-{uuid.uuid4().hex[:6]}"
    breaker = _breaker(aredis, rprefix, name)
    assert list(sync_redis.scan_iter(f"{rprefix}:breaker:{name}:*")) == []
    # A healthy call path writes nothing either (no Redis write per successful call) ...
    assert await breaker.call(working) == "ok"
    assert list(sync_redis.scan_iter(f"{rprefix}:breaker:{name}:*")) == []
    # ... a failure is what gets shared.
    with pytest.raises(ConnectionError):
        await breaker.call(failing)
    assert list(sync_redis.scan_iter(f"{rprefix}:breaker:{name}:*")) != []


async def test_successes_reset_the_count(
    sync_redis: redis_sync.Redis, aredis: Any, rprefix: str
) -> None:
    breaker = _breaker(aredis, rprefix, f"b-{uuid.uuid4().hex[:6]}", fail_max=2)
    with pytest.raises(ConnectionError):
        await breaker.call(failing)
    assert await breaker.call(working) == "ok"
    with pytest.raises(ConnectionError):
        await breaker.call(failing)
    assert await breaker.current_state() == "closed"


def _flaky_app(failures: int, status: int = 503) -> tuple[FastAPI, dict[str, int]]:
    app = FastAPI()
    seen = {"n": 0}

    @app.api_route("/thing", methods=["GET", "POST"])
    async def thing() -> Response:
        seen["n"] += 1
        if seen["n"] <= failures:
            return Response(status_code=status)
        return Response('{"ok": true}', media_type="application/json")

    return app, seen


async def test_client_retries_then_succeeds() -> None:
    app, seen = _flaky_app(2)
    async with (
        serve(app) as base,
        ResilientClient(base, attempts=3, initial_wait=0.01, max_wait=0.05) as c,
    ):
        resp = await c.get("/thing")
    assert resp.status_code == 200
    assert seen["n"] == 3


async def test_client_gives_up_after_attempts_and_returns_last_status() -> None:
    app, seen = _flaky_app(10, status=502)
    async with (
        serve(app) as base,
        ResilientClient(base, attempts=3, initial_wait=0.01, max_wait=0.05) as c,
    ):
        resp = await c.get("/thing")
    assert resp.status_code == 502
    assert seen["n"] == 3


async def test_post_is_not_retried_unless_asked() -> None:
    app, seen = _flaky_app(1)
    async with (
        serve(app) as base,
        ResilientClient(base, attempts=3, initial_wait=0.01, max_wait=0.05) as c,
    ):
        assert (await c.post("/thing")).status_code == 503
        assert seen["n"] == 1
        assert (await c.post("/thing", retry=True)).status_code == 200


async def test_4xx_is_not_retried() -> None:
    app, seen = _flaky_app(1, status=404)
    async with serve(app) as base, ResilientClient(base, attempts=3, initial_wait=0.01) as c:
        assert (await c.get("/thing")).status_code == 404
    assert seen["n"] == 1


async def test_unreachable_host_is_service_unavailable_and_opens_breaker(
    sync_redis: redis_sync.Redis, aredis: Any, rprefix: str
) -> None:
    from common_testkit import free_port

    breaker = _breaker(
        aredis, rprefix, f"dead-{uuid.uuid4().hex[:6]}", fail_max=2, reset_timeout=60
    )
    base = f"http://127.0.0.1:{free_port()}"
    async with ResilientClient(
        base, breaker=breaker, attempts=2, initial_wait=0.01, max_wait=0.02
    ) as c:
        with pytest.raises(ServiceUnavailable):
            await c.get("/x")
        assert await breaker.current_state() == "open"
        with pytest.raises(ServiceUnavailable) as info:
            await c.get("/x")
    assert info.value.code == "upstream_unavailable"


def test_every_retry_policy_is_bounded_and_jittered() -> None:
    policy = ResilientClient("http://127.0.0.1:1", attempts=4, max_wait=1.5).retry_policy()
    assert isinstance(policy.stop, stop_any)
    kinds = {type(s) for s in policy.stop.stops}
    assert kinds == {stop_after_attempt, stop_after_delay}
    assert isinstance(policy.wait, wait_exponential_jitter)


def test_no_unbounded_tenacity_use_in_the_lib() -> None:
    """Every tenacity policy in the lib's source passes `stop=` (and `wait=`)."""
    src = Path(__file__).parents[1] / "src" / "taskflow" / "common"
    found = 0
    for path in src.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                fn = node.func
                name = fn.id if isinstance(fn, ast.Name) else getattr(fn, "attr", "")
                if name in {"AsyncRetrying", "Retrying", "retry"}:
                    found += 1
                    kws = {k.arg for k in node.keywords}
                    assert {"stop", "wait"} <= kws, f"{path.name}:{node.lineno}"
    assert found >= 1


async def test_breaker_keeps_its_open_gauge(aredis: Any, rprefix: str) -> None:
    """`taskflow_breaker_open{service,breaker}`: 1 open and half-open, 0 closed (the alert's)."""
    from prometheus_client import REGISTRY

    name = f"gauge-{uuid.uuid4().hex[:6]}"
    labels = {"service": "tests", "breaker": name}

    def gauge() -> float | None:
        return REGISTRY.get_sample_value("taskflow_breaker_open", labels)

    breaker = _breaker(aredis, rprefix, name, fail_max=2, reset_timeout=0.2, service="tests")
    assert await breaker.call(working) == "ok"
    assert gauge() == 0
    for _ in range(2):
        with pytest.raises(ConnectionError):
            await breaker.call(failing)
    assert gauge() == 1  # opened by the failure that reached fail_max
    # Another replica's object learns the state from Redis when it is asked.
    other = _breaker(aredis, rprefix, name, fail_max=2, reset_timeout=0.2, service="tests")
    other._publish(False)
    assert gauge() == 0
    with pytest.raises(CircuitBreakerError):
        await other.call(working)
    assert gauge() == 1
    await asyncio.sleep(0.3)
    assert await breaker.current_state() == "half-open"
    assert gauge() == 1  # half-open still alerts
    assert await breaker.call(working) == "ok"  # the trial succeeds: closed
    assert gauge() == 0


async def test_breaker_without_metric_exports_nothing(aredis: Any, rprefix: str) -> None:
    from prometheus_client import REGISTRY

    name = f"private-{uuid.uuid4().hex[:6]}"
    breaker = _breaker(aredis, rprefix, name, fail_max=1, service="tests", export_metric=False)
    with pytest.raises(ConnectionError):
        await breaker.call(failing)
    assert await breaker.current_state() == "open"
    assert (
        REGISTRY.get_sample_value("taskflow_breaker_open", {"service": "tests", "breaker": name})
        is None
    )
