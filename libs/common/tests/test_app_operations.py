"""The app factory's operational side: body limits, health and readiness, metrics, docs in
production.
"""

import uuid
from typing import Any

import pytest
from common_testkit import AppFactory, client_for, demo_router, problem


async def test_body_limit_can_be_raised_for_one_path(make_app: AppFactory, settings: Any) -> None:
    app = make_app(
        demo_router,
        settings=settings.model_copy(update={"max_body_bytes": 100}),
        body_limits={r"/items/[^/]+/bulk": 1000},
    )

    @app.post("/items/{item_id}/bulk")
    async def bulk(item_id: int, body: dict[str, str]) -> dict[str, int]:
        """Takes a larger body."""
        return {"n": len(body["data"])}

    async with client_for(app) as c:
        ok = await c.post("/items/1/bulk", json={"data": "x" * 500})
        assert ok.status_code == 200, ok.text
        assert ok.json() == {"n": 500}
        problem(await c.post("/items/1/bulk", json={"data": "x" * 1500}), 413, "payload_too_large")
        # every other path keeps the ordinary limit, with and without Content-Length
        problem(
            await c.post("/login", json={"email": "a", "password": "p" * 200}),
            413,
            "payload_too_large",
        )

        async def chunks() -> Any:
            for _ in range(4):
                yield b"x" * 50

        resp = await c.post(
            "/login", content=chunks(), headers={"content-type": "application/json"}
        )
        problem(resp, 413, "payload_too_large")


async def test_body_size_limit(make_app: AppFactory, settings: Any) -> None:
    app = make_app(demo_router, settings=settings.model_copy(update={"max_body_bytes": 100}))
    async with client_for(app) as c:
        resp = await c.post("/login", json={"email": "a", "password": "p" * 200})
        problem(resp, 413, "payload_too_large")

        async def chunks() -> Any:  # no Content-Length: counted while streaming
            for _ in range(10):
                yield b"x" * 50

        resp = await c.post(
            "/login", content=chunks(), headers={"content-type": "application/json"}
        )
        problem(resp, 413, "payload_too_large")


async def test_health_and_readiness(make_app: AppFactory) -> None:
    async def fine() -> None:
        return None

    async def broken() -> None:
        raise ConnectionError("cannot reach smtp.internal.example:25")

    ok_app = make_app(demo_router, readiness_checks={"smtp": fine})
    bad_app = make_app(demo_router, readiness_checks={"smtp": broken})
    async with client_for(ok_app) as c:
        assert (await c.get("/healthz")).json() == {"status": "ok"}
        resp = await c.get("/readyz")
        assert resp.status_code == 200
        assert resp.json()["checks"] == ["database", "redis", "smtp"]
    async with client_for(bad_app) as c:
        assert (await c.get("/healthz")).status_code == 200
        resp = await c.get("/readyz")
    body = problem(resp, 503, "not_ready")
    assert body["failed"] == ["smtp"]
    assert "smtp.internal" not in resp.text


async def test_readiness_fails_when_database_is_unreachable(
    make_app: AppFactory, settings: Any
) -> None:
    s = settings.model_copy(
        update={
            "database_url": settings.database_url.__class__("postgresql+asyncpg://x@127.0.0.1:1/x")
        }
    )
    app = make_app(demo_router, settings=s)
    async with client_for(app) as c:
        resp = await c.get("/readyz")
    assert problem(resp, 503, "not_ready")["failed"] == ["database"]


async def test_metrics_use_route_templates_and_per_app_registry(make_app: AppFactory) -> None:
    app1 = make_app(demo_router)
    app2 = make_app(demo_router)
    async with client_for(app1) as c:
        for i in (1, 2, 3):
            await c.get(f"/items/{i}")
        text = (await c.get("/metrics")).text
    assert 'http_requests_total{method="GET",route="/items/{item_id}",status="200"} 3.0' in text
    assert "/items/1" not in text
    assert "http_request_duration_seconds_bucket" in text
    async with client_for(app2) as c:
        assert "/items/{item_id}" not in (await c.get("/metrics")).text


async def test_no_interactive_docs_in_production(make_app: AppFactory, settings: Any) -> None:
    app = make_app(demo_router, settings=settings.model_copy(update={"environment": "production"}))
    async with client_for(app) as c:
        for path in ("/docs", "/redoc"):
            assert (await c.get(path)).status_code == 404
    dev = make_app(demo_router)
    async with client_for(dev) as c:
        assert (await c.get("/docs")).status_code == 200


async def test_metrics_include_the_breakers_of_the_process(
    make_app: AppFactory, aredis: Any, rprefix: str
) -> None:
    """An api's breaker (tasks' auth look-up) is scraped from the api's own /metrics."""
    from taskflow.common.resilience import AsyncCircuitBreaker

    name = f"api-{uuid.uuid4().hex[:6]}"
    breaker = AsyncCircuitBreaker(
        name, redis_client=aredis, prefix=rprefix, fail_max=1, reset_timeout=300, service="t"
    )

    async def failing() -> None:
        raise ConnectionError("down")

    with pytest.raises(ConnectionError):
        await breaker.call(failing)
    async with client_for(make_app(demo_router)) as c:
        text = (await c.get("/metrics")).text
    assert f'taskflow_breaker_open{{breaker="{name}",service="t"}} 1.0' in text
    assert "http_requests_total" in text
