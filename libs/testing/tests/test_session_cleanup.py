"""End to end: a whole pytest session with a failing test leaves nothing behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import redis

from taskflow.testing import rabbitmq
from taskflow.testing.helpers import run_in_thread
from taskflow.testing.postgres import database_exists

INNER = textwrap.dedent(
    """\
    import json, os
    import redis

    def test_uses_everything_then_fails(test_database, amqp_vhost, redis_url, redis_prefix):
        client = redis.Redis.from_url(redis_url)
        client.set(redis_prefix + ":left-behind", "1")
        client.close()
        with open(os.environ["RECORD"], "w") as f:
            json.dump({"db": test_database.name, "vhost": amqp_vhost.name,
                       "prefix": redis_prefix}, f)
        assert False, "deliberate failure: teardown must still clean up"
    """
)


def test_failed_session_removes_database_vhost_and_keys(
    tmp_path: Path, pg_admin_dsn: str, redis_url: str
) -> None:
    (tmp_path / "test_inner.py").write_text(INNER)
    record = tmp_path / "record.json"
    env = {**os.environ, "RECORD": str(record), "TASKFLOW_TEST_PG_ADMIN_DSN": pg_admin_dsn}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_inner.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "deliberate failure" in result.stdout
    seen = json.loads(record.read_text())

    assert seen["db"].startswith("tf_test_")
    assert not run_in_thread(lambda: database_exists(pg_admin_dsn, seen["db"]))
    assert not rabbitmq.vhost_exists(seen["vhost"])
    client = redis.Redis.from_url(redis_url)
    try:
        assert list(client.scan_iter(match=f"{seen['prefix']}*")) == []
    finally:
        client.close()
