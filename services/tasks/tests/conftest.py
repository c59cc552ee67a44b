"""Fixtures of the tasks tests: the app on the session's test database, users and tokens.

Everything runs on the real local servers: PostgreSQL (a fresh database per session, the tasks
schema migrated as role taskflow_tasks, tables emptied before each test), Redis (a key prefix
per run) and, for worker tests, RabbitMQ (a vhost per run). The auth service is played by a
small FastAPI app served by uvicorn on loopback: tasks only speaks HTTP to it.
"""

from __future__ import annotations

import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn
from fastapi import FastAPI, Header, HTTPException
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from taskflow.tasks.config import Settings
from taskflow.tasks.main import build_app
from taskflow.testing import free_port

# The test modules import their helpers from `tasks_testkit` beside this file.
sys.path.insert(0, str(Path(__file__).parent))


@dataclass
class AuthDouble:
    """A stand-in for auth's user directory: `users` maps email -> profile dict."""

    url: str
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    fail: bool = False

    def add(self, user_id: uuid.UUID, email: str, name: str, tz: str = "UTC") -> None:
        self.users[email.lower()] = {
            "id": str(user_id),
            "email": email.lower(),
            "display_name": name,
            "timezone": tz,
        }


def _auth_app(double: AuthDouble) -> FastAPI:
    app = FastAPI()

    @app.get("/api/v1/users")
    async def find(email: str, authorization: str | None = Header(default=None)) -> dict[str, Any]:
        double.calls.append(f"email:{email}")
        if not authorization or not authorization.startswith("Bearer "):
            raise HTTPException(401)
        if double.fail:
            raise HTTPException(503)
        user = double.users.get(email.lower())
        return {"items": [user] if user else [], "next_cursor": None}

    @app.get("/api/v1/users/{user_id}")
    async def get(user_id: str) -> dict[str, Any]:
        double.calls.append(f"id:{user_id}")
        for user in double.users.values():
            if user["id"] == user_id:
                return user
        raise HTTPException(404)

    return app


@pytest.fixture(scope="session")
def auth_double() -> Iterator[AuthDouble]:
    """auth's `/api/v1/users` served by uvicorn on a free loopback port (a thread)."""
    port = free_port()
    double = AuthDouble(url=f"http://127.0.0.1:{port}")
    server = uvicorn.Server(
        uvicorn.Config(_auth_app(double), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("auth double did not start")
        time.sleep(0.02)
    try:
        yield double
    finally:
        server.should_exit = True
        thread.join(5)


@pytest.fixture(scope="session")
def tasks_db_url(migrate_service: Callable[[str], str]) -> str:
    """The tasks schema migrated to head; the URL connects as role taskflow_tasks."""
    return migrate_service("tasks")


@pytest.fixture(scope="session")
def settings(
    tasks_db_url: str, amqp_url: str, redis_url: str, redis_prefix: str, auth_double: AuthDouble
) -> Settings:
    return Settings(
        database_url=tasks_db_url,
        amqp_url=amqp_url,
        redis_url=redis_url,
        redis_prefix=redis_prefix,
        environment="test",
        log_json=False,
        log_level="WARNING",
        auth_url=auth_double.url,
        auth_retries=2,
        db_pool_size=10,
    )


@pytest.fixture(scope="session")
def app(settings: Settings, key_source: Any) -> FastAPI:
    return build_app(settings, key_source=key_source)


@pytest_asyncio.fixture(scope="session")
async def engine(tasks_db_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_async_engine(tasks_db_url)
    yield eng
    await eng.dispose()


@pytest_asyncio.fixture(autouse=True)
async def _clean(engine: AsyncEngine, truncate_schema: Any, auth_double: AuthDouble) -> None:
    """Every test starts with empty tables and an auth double that answers."""
    await truncate_schema(engine, "tasks", keep=("alembic_version",))
    auth_double.users.clear()
    auth_double.calls.clear()
    auth_double.fail = False


@pytest_asyncio.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as c:
        yield c


@dataclass
class Actor:
    """A user with a token, known to the users projection."""

    id: uuid.UUID
    email: str
    token: str

    @property
    def h(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def make_user(engine: AsyncEngine, mint_token: Callable[..., str]) -> Callable[..., Any]:
    """`await make_user("ann", tz="Europe/Berlin")` -> Actor (in the users projection)."""

    async def make(
        name: str | None = None, *, tz: str = "UTC", roles: tuple[str, ...] = ("user",)
    ) -> Actor:
        uid = uuid.uuid4()
        name = name or f"user{uid.hex[:6]}"
        email = f"{name}@example.com"
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO tasks.users (id, email, display_name, timezone, is_active)"
                    " VALUES (:id, :email, :name, :tz, true)"
                ),
                {"id": uid, "email": email, "name": name.title(), "tz": tz},
            )
        return Actor(uid, email, mint_token(str(uid), roles=roles))

    return make


class Project:
    """A project made for a test, with helpers to add members by role."""

    def __init__(self, client: httpx.AsyncClient, owner: Actor, data: dict[str, Any]) -> None:
        self.client, self.owner, self.data = client, owner, data
        self.id = data["id"]

    async def add(self, who: Actor, role: str) -> None:
        r = await self.client.post(
            f"/api/v1/projects/{self.id}/members",
            json={"user_id": str(who.id), "role": role},
            headers=self.owner.h,
        )
        assert r.status_code == 201, r.text

    async def task(self, who: Actor | None = None, **fields: Any) -> dict[str, Any]:
        fields.setdefault("title", "A task")
        r = await self.client.post(
            f"/api/v1/projects/{self.id}/tasks", json=fields, headers=(who or self.owner).h
        )
        assert r.status_code == 201, r.text
        return dict(r.json())


@pytest.fixture
def make_project(client: httpx.AsyncClient) -> Callable[..., Any]:
    """`await make_project(owner, key="OPS")` -> Project."""

    async def make(owner: Actor, key: str | None = None, **fields: Any) -> Project:
        key = key or "P" + uuid.uuid4().hex[:6].upper()
        body = {"key": key, "name": fields.pop("name", f"Project {key}"), **fields}
        r = await client.post("/api/v1/projects", json=body, headers=owner.h)
        assert r.status_code == 201, r.text
        return Project(client, owner, r.json())

    return make


@pytest.fixture
def outbox(engine: AsyncEngine) -> Callable[..., Any]:
    """`await outbox()` -> [(event_type, data)] in id order (optionally of one type)."""

    async def read(event_type: str | None = None) -> list[tuple[str, dict[str, Any]]]:
        sql = "SELECT event_type, envelope -> 'data' FROM tasks.outbox"
        if event_type:
            sql += " WHERE event_type = :t"
        async with engine.connect() as conn:
            rows = await conn.execute(text(sql + " ORDER BY id"), {"t": event_type})
            return [(r[0], r[1]) for r in rows]

    return read


@pytest.fixture
def sql(engine: AsyncEngine) -> Callable[..., Any]:
    """`await sql("SELECT ...", **params)` -> list of rows (as the service role)."""

    async def run(statement: str, **params: Any) -> list[Any]:
        async with engine.begin() as conn:
            result = await conn.execute(text(statement), params)
            return list(result.all()) if result.returns_rows else []

    return run
