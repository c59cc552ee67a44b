"""Fixtures of the end-to-end suite: the whole system as real processes behind real nginx.

Scope is the e2e package, not the pytest session: when `make test` runs every suite in one
session, the services' own tests share the session's database and vhost, and twelve long-lived
processes consuming the same queue names would steal their messages. So the e2e run makes its
own database, vhost and Redis prefix with the libs/testing building blocks (the same code the
`test_database`, `amqp_url` and `redis_prefix` fixtures use), and removes them, and stops every
process, when its last test is done.

Each test declares the services it needs with `@pytest.mark.needs("auth", "tasks")`; a test
whose service is not built yet is skipped with the reason (what is missing). Set
`TASKFLOW_E2E_REQUIRE_ALL=1` to make such a test fail instead (CI, once everything exists).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from taskflow.testing import postgres, rabbitmq, redisdb
from taskflow.testing.caldav import CaldavServer
from taskflow.testing.smtp import SmtpSink

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from e2e.clients import GeneratedClient, generate, import_generated  # noqa: E402
from e2e.harness import SERVICES, Backing, ServiceInfo, System, discover  # noqa: E402

_SYSTEM_KEY = pytest.StashKey[System]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "needs(*services): the e2e test needs these services running"
    )


#: The first e2e test also pays for starting the system (ten Python processes on a machine
#: that may be busy with other suites): more room than the project's 120 s per test.
E2E_TEST_TIMEOUT = 300


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here) and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(E2E_TEST_TIMEOUT))


@pytest.fixture(scope="package")
def workdir() -> Iterator[Path]:
    """A folder of this run for configs, logs and stores, outside pytest's shared basetemp.

    pytest prunes old numbered folders of `/tmp/pytest-of-<user>`, which other suites on the
    same machine create all the time; the running system's files must not be among them.
    Removed at the end unless a test failed (then its path is printed, logs and all).
    """
    folder = Path(tempfile.mkdtemp(prefix="tf-e2e-"))
    yield folder
    if _FAILED[0]:
        sys.stderr.write(f"\ne2e: logs and state of the failed run kept in {folder}\n")
    else:
        shutil.rmtree(folder, ignore_errors=True)


_FAILED = [False]


@pytest.fixture(scope="package")
def services_built(backing: Backing) -> dict[str, ServiceInfo]:
    """Which services exist well enough to run, probed once; each of them migrated.

    The probe (an interpreter importing every CLI) and the migrations of the services that
    commit an OpenAPI document run side by side: both take seconds on a busy machine. The
    migrations run one after the other: Alembic's context is process-global, not thread-safe.
    """
    candidates = [s for s in SERVICES if (ROOT / "services" / s / "openapi.json").is_file()]
    with ThreadPoolExecutor(max_workers=1) as pool:
        probe = pool.submit(discover, SERVICES)
        for service in candidates:
            backing.database.migrate(service)
        return probe.result()


@pytest.fixture(autouse=True)
def _needs(request: pytest.FixtureRequest, services_built: dict[str, ServiceInfo]) -> None:
    """Skip (or fail, with TASKFLOW_E2E_REQUIRE_ALL=1) a test whose services are not built."""
    marker = request.node.get_closest_marker("needs")
    if marker is None:
        return
    missing = [services_built[s] for s in marker.args if not services_built[s].available]
    if not missing:
        return
    reason = "; ".join(f"{m.name} not built yet: {m.missing}" for m in missing)
    if os.environ.get("TASKFLOW_E2E_REQUIRE_ALL") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="package")
def backing(workdir: Path) -> Iterator[Backing]:
    """A database, vhost, Redis prefix, SMTP sink and Radicale private to this e2e run."""
    admin_dsn = os.environ.get("TASKFLOW_TEST_PG_ADMIN_DSN", postgres.DEFAULT_ADMIN_DSN)
    database = postgres.FreshDatabase.create(admin_dsn, repo_root=ROOT)
    vhost = rabbitmq.create_vhost()
    redis_url = redisdb.redis_url_from_env()
    prefix = redisdb.new_prefix()
    sink = SmtpSink(workdir / "maildir").start()
    (workdir / "radicale").mkdir()
    caldav = CaldavServer(folder=workdir / "radicale").start()
    try:
        yield Backing(
            database=database,
            amqp_url=vhost.url,
            redis_url=redis_url,
            redis_prefix=prefix,
            smtp_host=sink.host,
            smtp_port=sink.port,
            caldav_url=caldav.url,
            caldav_username=caldav.username,
            caldav_password=caldav.password,
            mail=sink,
            calendar=caldav,
        )
    finally:
        caldav.stop()
        sink.stop()
        redisdb.purge_prefix(redis_url, prefix)
        rabbitmq.delete_vhost(vhost)
        database.drop()


@pytest.fixture(scope="package")
def mail(backing: Backing) -> SmtpSink:
    """The run's SMTP sink (the one every notifications process sends to)."""
    sink: SmtpSink = backing.mail
    return sink


@pytest.fixture(scope="package")
def system(
    request: pytest.FixtureRequest,
    services_built: dict[str, ServiceInfo],
    _generating: dict[str, Future[Path]],
    backing: Backing,
    workdir: Path,
) -> Iterator[System]:
    """Every built service migrated and running (api + worker), nginx in front, all ready."""
    system = System(services=services_built, backing=backing, workdir=workdir / "system")
    running = system.running
    if not running:
        pytest.skip("no service is built yet")
    for service in running:
        backing.database.migrate(service)  # done already by services_built: returns at once
    request.config.stash[_SYSTEM_KEY] = system
    try:
        system.start()
        yield system
    finally:
        codes = system.stop()
        del request.config.stash[_SYSTEM_KEY]
        unclean = {n: c for n, c in codes.items() if c not in (0, None, -15, 143)}
        if unclean:
            sys.stderr.write(f"\ne2e: processes that did not exit cleanly: {unclean}\n")
            sys.stderr.write(system.logs(40) + "\n")


@pytest.fixture(scope="package")
def _generating(
    services_built: dict[str, ServiceInfo],
) -> Iterator[dict[str, Future[Path]]]:
    """Generate the clients in the background while the system starts (a subprocess each)."""
    built = [s for s, info in services_built.items() if info.available]
    with ThreadPoolExecutor(max_workers=max(1, len(built))) as pool:
        yield {service: pool.submit(generate, service) for service in built}


@pytest.fixture(scope="package")
def clients(
    _generating: dict[str, Future[Path]], system: System
) -> dict[str, GeneratedClient | Exception]:
    """Each built service's generated client (or the error that stopped it generating)."""
    out: dict[str, GeneratedClient | Exception] = {}
    for service, future in _generating.items():
        try:
            out[service] = import_generated(service, future.result(timeout=120))
        except Exception as exc:  # reported by the test that needs it
            out[service] = exc
    return out


def client_for(clients: dict[str, Any], service: str) -> GeneratedClient:
    """The generated client of `service`, failing the test when it did not generate."""
    value = clients.get(service)
    if isinstance(value, Exception):
        pytest.fail(f"the generated {service} client is broken: {value}")
    if value is None:
        pytest.fail(f"no generated client for {service}")
    assert isinstance(value, GeneratedClient)
    return value


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Put the last lines of every process's log into the report of a failing test."""
    report = yield
    if report.failed:
        _FAILED[0] = True
        system = item.config.stash.get(_SYSTEM_KEY, None)
        if system is not None:
            report.sections.append(("taskflow process logs (last lines)", system.logs(25)))
    return report
