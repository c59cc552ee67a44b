"""Fixtures of the notifications tests: the app, the worker pieces and event helpers, all on the
real servers of libs/testing (a migrated test database, the run's Redis prefix and vhost, the
SMTP sink and Radicale)."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import redis
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from taskflow.common.resilience import AsyncCircuitBreaker
from taskflow.events.contracts.base import Event
from taskflow.events.envelope import Envelope
from taskflow.notifications import post_commit
from taskflow.notifications.config import Settings
from taskflow.notifications.consuming import Handler
from taskflow.notifications.context import Context
from taskflow.notifications.main import build_app
from taskflow.notifications.worker import handler_map

# Helper modules next to this file; unique names avoid clashes under --import-mode=importlib.
sys.path.insert(0, str(Path(__file__).parent))


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def set(self, value: datetime) -> None:
        self.now = value


@pytest.fixture(scope="session")
def notifications_db(test_database: Any) -> str:
    """The test database migrated to head, as the service's own role."""
    return str(test_database.migrate("notifications"))


@pytest.fixture(scope="session")
def settings(
    notifications_db: str, amqp_url: str, redis_url: str, redis_prefix: str, smtp_sink_session: Any
) -> Settings:
    return Settings(
        database_url=notifications_db,
        amqp_url=amqp_url,
        redis_url=redis_url,
        redis_prefix=f"{redis_prefix}:n",
        environment="test",
        log_json=False,
        log_level="WARNING",
        smtp_host=smtp_sink_session.host,
        smtp_port=smtp_sink_session.port,
        spa_base_url="http://spa.test",
        public_base_url="http://gw.test",
        breaker_fail_max=3,
        breaker_reset_timeout=1.0,
        send_retry_attempts=1,
        delivery_backoff_base=0.05,
        delivery_backoff_cap=0.2,
        sender_poll_interval=0.1,
        scheduler_poll_interval=0.1,
        ws_heartbeat_interval=0.5,
        consumer_retry_delays_ms=(50,),
    )


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    eng = create_async_engine(settings.database_url.get_secret_value(), pool_size=5)
    yield eng
    await eng.dispose()


@pytest.fixture(scope="session")
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[Any]:
    return async_sessionmaker(engine, expire_on_commit=False)


@pytest_asyncio.fixture(loop_scope="session")
async def aredis(settings: Settings) -> AsyncIterator[Redis]:
    client = Redis.from_url(settings.redis_url.get_secret_value())
    yield client
    await client.aclose()


@pytest.fixture(scope="session")
def sync_redis(settings: Settings) -> redis.Redis:
    return redis.Redis.from_url(settings.redis_url.get_secret_value())


@pytest_asyncio.fixture(autouse=True, loop_scope="session")
async def _clean(
    engine: AsyncEngine, truncate_schema: Any, sync_redis: redis.Redis, settings: Settings
) -> AsyncIterator[None]:
    """Every test starts with empty tables and no breaker state or cached counts."""
    await truncate_schema(engine, "notifications", keep=("alembic_version",))
    for k in sync_redis.scan_iter(match=f"{settings.redis_prefix}:*"):
        sync_redis.delete(k)
    yield
    await post_commit.drain()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest_asyncio.fixture(loop_scope="session")
async def ctx(settings: Settings, aredis: Redis, clock: Clock) -> Context:
    return Context(settings=settings, redis=aredis, clock=clock)


@pytest.fixture
def handlers(ctx: Context) -> dict[str, Handler]:
    """The worker's handler map, on the test's context (tests may change `ctx.settings`)."""
    return handler_map(ctx)


@pytest.fixture
def apply(
    handlers: dict[str, Handler], sessionmaker: async_sessionmaker[Any]
) -> Callable[..., Any]:
    """`await apply(event, actor=...)`: run the event's handler in one transaction, as the
    consumer would (a type without an entry raises here; the consumer would park it)."""

    async def run(
        event: Event, *, actor: uuid.UUID | None = None, envelope: Envelope | None = None
    ) -> Envelope:
        env = envelope or Envelope.wrap(event, source="taskflow/tests", actor_id=actor)
        async with sessionmaker() as session, session.begin():
            await handlers[env.type](session, env, env.event())
        await post_commit.drain()
        return env

    return run


@pytest_asyncio.fixture(loop_scope="session")
async def app(settings: Settings, key_source: Any) -> AsyncIterator[Any]:
    application = build_app(settings, key_source=key_source)
    yield application
    await application.state.db.dispose()
    await application.state.redis.aclose()


@pytest_asyncio.fixture(loop_scope="session")
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c
    await post_commit.drain()


@pytest.fixture
def auth(mint_token: Callable[..., str]) -> Callable[..., dict[str, str]]:
    """`auth(user_id, roles=("user",))` -> headers with a fresh access token."""

    def headers(user_id: uuid.UUID, roles: tuple[str, ...] = ("user",)) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint_token(str(user_id), roles=roles)}"}

    return headers


def breaker(settings: Settings, sync: redis.Redis, name: str) -> AsyncCircuitBreaker:
    return AsyncCircuitBreaker(
        name,
        redis_client=sync,
        prefix=settings.redis_prefix,
        fail_max=settings.breaker_fail_max,
        reset_timeout=settings.breaker_reset_timeout,
    )


async def settle() -> None:
    """Let post-commit tasks run."""
    await asyncio.sleep(0)
    await post_commit.drain()


@pytest_asyncio.fixture(loop_scope="session")
async def make_worker(clock: Clock) -> AsyncIterator[Callable[..., Any]]:
    """`make_worker(settings)` -> a wired Worker (loops not started); closed at the end."""
    from taskflow.notifications.worker import Worker, build_worker

    made: list[Worker] = []

    def make(s: Settings, **kw: Any) -> Worker:
        w = build_worker(s, clock=clock, **kw)
        made.append(w)
        return w

    yield make
    for w in made:
        await w.close()


@pytest_asyncio.fixture(loop_scope="session")
async def replicas(settings: Any, key_source: Any) -> AsyncIterator[tuple[Any, Any]]:
    """Two api replicas on real ports sharing Redis (the WebSocket tests)."""
    from live_testkit import Replica  # next to this file, on the path set above

    a, b = Replica(settings, key_source), Replica(settings, key_source)
    await a.start()
    await b.start()
    yield a, b
    await a.stop()
    await b.stop()
