"""Taskflow's pytest plugin: fixtures on the real local servers (loaded by entry point).

Every resource is private to one pytest session (a database, a vhost, a key prefix, ports), so
two runs in parallel never collide, and everything created is removed at session end, also
after failing tests. Session fixtures are plain synchronous fixtures (they do their async work
on a private loop in a worker thread), so they work whatever loop scope a suite runs with.

PostgreSQL (``postgresql://postgres@127.0.0.1:5432/postgres``, trust auth on loopback)
    ``pg_admin_dsn`` (session) -> str
        Superuser DSN of the cluster's admin database; env ``TASKFLOW_TEST_PG_ADMIN_DSN``.
    ``test_database`` (session) -> :class:`~taskflow.testing.postgres.FreshDatabase`
        A new database ``tf_test_<hex>`` with ``infra/postgres/init.sql`` applied; dropped at
        the end. ``.name``, ``.admin_url`` (superuser, ``postgresql+asyncpg://``),
        ``.admin_dsn`` (plain), ``.url_for(role) -> str`` (e.g.
        ``url_for("taskflow_tasks")``), ``.dsn_for(role)``, ``.migrate(service) -> url``
        (blocking; runs ``services/<service>/alembic.ini`` to head once per session as role
        ``taskflow_<service>``, in a worker thread) and ``await .amigrate(service) -> url``.
        The URL reaches ``env.py`` as ``-x url=...``, as ``sqlalchemy.url`` and as
        ``config.attributes["url"]``; ``config.attributes["configure_logger"]`` is False.
    ``migrate_service`` (session) -> ``Callable[[str], str]``
        ``migrate_service("tasks")`` migrates once and returns the service role's URL.
    ``truncate_schema`` (function) -> async factory
        ``await truncate_schema(url_or_engine, "tasks", keep=("alembic_version",))`` empties
        every table of the schema with RESTART IDENTITY CASCADE, for per-test cleanup.

RabbitMQ
    ``amqp_url`` (session) -> str
        ``amqp://guest:guest@127.0.0.1:5672/tf-test-<hex>``: a vhost of its own, made with
        ``rabbitmqctl`` (or the management API) and deleted at the end.
    ``amqp_vhost`` (session) -> :class:`~taskflow.testing.rabbitmq.Vhost` (``.name``, ``.url``).
    ``rabbit_node`` (function) -> :class:`~taskflow.testing.rabbitmq_node.RabbitNode`: a private
        node (own node name, AMQP and distribution ports on loopback, data folder, no plugins),
        started; ``.url``, ``.stop()``, ``.start()``, ``.restart()``, ``.kill()``. The shared
        node on 5672 is never touched. Destroyed after the test; skipped when
        ``rabbitmq-server`` is not installed.

Redis
    ``redis_url`` (session) -> str: ``redis://127.0.0.1:6379/0`` (env ``TASKFLOW_TEST_REDIS_URL``).
    ``redis_prefix`` (session) -> str: ``tftest:<hex>``; every key starting with it is deleted
        (SCAN + UNLINK) at the end. Put it in front of every key the code under test writes.

Tokens (RS256, python-jose)
    ``rsa_keys`` (session) -> :class:`~taskflow.testing.tokens.RsaKeys`: two 2048-bit keypairs
        (``.primary``, ``.secondary``, ``.keys``; each ``.kid``, ``.private_pem``,
        ``.public_pem``, ``.public_jwk``) and ``.jwks`` (public only).
    ``jwks`` (session) -> dict: the public JWKS ``{"keys": [...]}``.
    ``mint_token`` (session) -> ``mint_token(user_id=None, *, roles=("user",), scopes=None,
        expires_in=900, kid=None, issuer="taskflow-auth", audience="taskflow", typ="access",
        session_id=None, extra_claims=None, headers=None) -> str``. Claims iss, aud, sub, iat,
        nbf, exp, jti, typ, roles, scope (space separated; by default every scope a session
        of ``roles`` carries), sid. ``kid`` picks the signing key
        (default the primary); ``headers`` override header fields (``{"kid": "nope"}``);
        ``extra_claims`` values of None delete a claim.
    ``key_source`` (session) -> ``taskflow.common.security.StaticKeySource(jwks)``; skips the
        test when taskflow.common.security is not importable.

Mail and calendar
    ``smtp_sink_session`` (session) / ``smtp_sink`` (function, the same server emptied before
        the test) -> :class:`~taskflow.testing.smtp.SmtpSink`: aiosmtpd on 127.0.0.1 and a free
        port storing into a Maildir; ``.host``, ``.port``, ``.messages() -> list[EmailMessage]``
        (arrival order, with ``X-MailFrom`` / ``X-RcptTo`` envelope headers),
        ``await .wait_for(predicate, timeout=5) -> EmailMessage``, ``.clear()``.
    ``caldav_server`` (session) -> :class:`~taskflow.testing.caldav.CaldavServer`: Radicale 3
        as a subprocess with htpasswd (plain) auth and ``rights = authenticated``; ``.url``
        (``http://127.0.0.1:<port>``), ``.username``, ``.password``, ``.auth``.

Faults
    ``fault_proxy`` (function) -> ``await fault_proxy(host, port) -> TcpProxy``: an asyncio TCP
        proxy on 127.0.0.1 and a free port; ``.host``, ``.port``, ``.url_for(url)`` (same URL
        through the proxy), ``.connections``; ``await .drop()`` (reset open connections and
        refuse new ones), ``await .stall()`` (keep connections, forward nothing, new ones hang),
        ``await .restore()``. Closed at the end of the test.

Helpers (import them: ``from taskflow.testing import free_port, wait_until``)
    ``free_port()``, ``await wait_until(predicate, timeout=15.0, interval=0.05)``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from taskflow.testing import postgres, rabbitmq, rabbitmq_node, redisdb
from taskflow.testing.caldav import CaldavServer
from taskflow.testing.faults import TcpProxy
from taskflow.testing.postgres import FreshDatabase
from taskflow.testing.postgres import truncate_schema as _truncate_schema
from taskflow.testing.smtp import SmtpSink
from taskflow.testing.tokens import RsaKeys, make_token


@pytest.fixture(scope="session")
def pg_admin_dsn() -> str:
    """Superuser DSN of the local cluster's admin database."""
    return os.environ.get("TASKFLOW_TEST_PG_ADMIN_DSN", postgres.DEFAULT_ADMIN_DSN)


@pytest.fixture(scope="session")
def test_database(pg_admin_dsn: str, pytestconfig: pytest.Config) -> Iterator[FreshDatabase]:
    """A database of this session's own with init.sql applied, dropped at the end."""
    from taskflow.testing.helpers import find_repo_root

    root = find_repo_root(Path(__file__), pytestconfig.rootpath)
    db = FreshDatabase.create(pg_admin_dsn, repo_root=root)
    try:
        yield db
    finally:
        db.drop()


@pytest.fixture(scope="session")
def migrate_service(test_database: FreshDatabase) -> Callable[[str], str]:
    """``migrate_service("tasks") -> url``: migrate a service once per session, get its URL."""

    def migrate(service: str) -> str:
        return test_database.migrate(service)

    return migrate


@pytest.fixture
def truncate_schema() -> Any:
    """``await truncate_schema(url_or_engine, schema, keep=("alembic_version",))``."""
    return _truncate_schema


@pytest.fixture(scope="session")
def amqp_vhost() -> Iterator[rabbitmq.Vhost]:
    """A RabbitMQ vhost of this session's own, deleted at the end."""
    vhost = rabbitmq.create_vhost()
    try:
        yield vhost
    finally:
        rabbitmq.delete_vhost(vhost)


@pytest.fixture(scope="session")
def amqp_url(amqp_vhost: rabbitmq.Vhost) -> str:
    """AMQP URL of this session's vhost as guest."""
    return amqp_vhost.url


@pytest.fixture
def rabbit_node() -> Iterator[rabbitmq_node.RabbitNode]:
    """A private RabbitMQ node the test may stop, start or kill; removed afterwards."""
    reason = rabbitmq_node.available()
    if reason:
        pytest.skip(reason)
    node = rabbitmq_node.RabbitNode()
    try:
        yield node.start()
    finally:
        node.destroy()


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The local Redis (database 0); isolation comes from ``redis_prefix``."""
    return redisdb.redis_url_from_env()


@pytest.fixture(scope="session")
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this session's own; its keys are deleted at the end."""
    prefix = redisdb.new_prefix()
    try:
        yield prefix
    finally:
        redisdb.purge_prefix(redis_url, prefix)


@pytest.fixture(scope="session")
def rsa_keys() -> RsaKeys:
    """Two RSA 2048 keypairs with kids ``test-key-1`` and ``test-key-2``."""
    return RsaKeys.generate(2)


@pytest.fixture(scope="session")
def jwks(rsa_keys: RsaKeys) -> dict[str, Any]:
    """The public JWKS of ``rsa_keys``."""
    return rsa_keys.jwks


@pytest.fixture(scope="session")
def mint_token(rsa_keys: RsaKeys) -> Callable[..., str]:
    """Factory of RS256 access tokens signed with a session key (see module docstring)."""

    def mint(
        user_id: Any = None,
        *,
        kid: str | None = None,
        **options: Any,
    ) -> str:
        key = rsa_keys.by_kid(kid) if kid else rsa_keys.primary
        return make_token(key, user_id, **options)

    return mint


@pytest.fixture(scope="session")
def key_source(jwks: dict[str, Any]) -> Any:
    """``StaticKeySource(jwks)`` from taskflow.common.security (skips when not importable)."""
    try:
        from taskflow.common.security import StaticKeySource
    except ImportError as exc:
        pytest.skip(f"taskflow.common.security.StaticKeySource is not importable: {exc}")
    return StaticKeySource(jwks)


@pytest.fixture(scope="session")
def smtp_sink_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpSink]:
    """One aiosmtpd sink for the whole session (for apps configured once per session)."""
    sink = SmtpSink(tmp_path_factory.mktemp("smtp") / "maildir").start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture
def smtp_sink(smtp_sink_session: SmtpSink) -> SmtpSink:
    """The session's SMTP sink, emptied before this test."""
    smtp_sink_session.clear()
    return smtp_sink_session


@pytest.fixture(scope="session")
def caldav_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaldavServer]:
    """A Radicale CalDAV server of this session's own, stopped at the end."""
    server = CaldavServer(folder=tmp_path_factory.mktemp("radicale")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest_asyncio.fixture
async def fault_proxy() -> AsyncIterator[Callable[[str, int], Awaitable[TcpProxy]]]:
    """``await fault_proxy(host, port) -> TcpProxy``; every proxy is closed after the test."""
    proxies: list[TcpProxy] = []

    async def start(target_host: str, target_port: int) -> TcpProxy:
        proxy = await TcpProxy(target_host, target_port).start()
        proxies.append(proxy)
        return proxy

    try:
        yield start
    finally:
        for proxy in proxies:
            await proxy.close()


__all__ = [
    "amqp_url",
    "amqp_vhost",
    "caldav_server",
    "fault_proxy",
    "jwks",
    "key_source",
    "migrate_service",
    "mint_token",
    "pg_admin_dsn",
    "rabbit_node",
    "redis_prefix",
    "redis_url",
    "rsa_keys",
    "smtp_sink",
    "smtp_sink_session",
    "test_database",
    "truncate_schema",
]
