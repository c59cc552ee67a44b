"""Fixtures of the fault tests: the event path's real servers, private to this module.

A database of its own (every consumer's schema migrated), a private RabbitMQ node (stopped and
started by the tests), a Redis key prefix and an SMTP sink. Not the session's database: the
workers started here consume and write for the whole test, and must not meet other suites'
rows or queues.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from taskflow.testing import postgres, redisdb
from taskflow.testing.smtp import SmtpSink

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from faults.broker_harness import SERVICES, Backing  # noqa: E402


@pytest.fixture
def workdir() -> Iterator[Path]:
    """Logs and mail of one test; kept (path printed) when the test failed."""
    folder = Path(tempfile.mkdtemp(prefix="tf-faults-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def database() -> Iterator[postgres.FreshDatabase]:
    """A database of the test's own, each consumer's schema migrated."""
    admin = os.environ.get("TASKFLOW_TEST_PG_ADMIN_DSN", postgres.DEFAULT_ADMIN_DSN)
    db = postgres.FreshDatabase.create(admin, repo_root=ROOT)
    try:
        for service in SERVICES:
            db.migrate(service)
        yield db
    finally:
        db.drop()


@pytest.fixture
def smtp(workdir: Path) -> Iterator[SmtpSink]:
    sink = SmtpSink(workdir / "maildir").start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture
def backing(
    database: postgres.FreshDatabase, rabbit_node: object, smtp: SmtpSink
) -> Iterator[Backing]:
    redis_url = redisdb.redis_url_from_env()
    prefix = redisdb.new_prefix()
    try:
        yield Backing(
            database=database,
            amqp_url=rabbit_node.url,  # type: ignore[attr-defined]
            redis_url=redis_url,
            redis_prefix=prefix,
            smtp_host=smtp.host,
            smtp_port=smtp.port,
        )
    finally:
        redisdb.purge_prefix(redis_url, prefix)


@pytest_asyncio.fixture
async def admin_engine(database: postgres.FreshDatabase) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database.admin_url, pool_size=2)
    yield engine
    await engine.dispose()


@pytest_asyncio.fixture
async def tasks_engine(database: postgres.FreshDatabase) -> AsyncIterator[AsyncEngine]:
    """The tasks service's role: the producer side writes its outbox as tasks does."""
    engine = create_async_engine(database.url_for("taskflow_tasks"), pool_size=2)
    yield engine
    await engine.dispose()
