"""The console commands: create-admin (create or promote, events), rotate-keys, worker SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable

import pytest
from auth_testkit import PASSWORD, Api
from sqlalchemy import text

from taskflow.auth.cli import main


@pytest.fixture
def cli_env(
    monkeypatch: pytest.MonkeyPatch, auth_url: str, redis_url: str, redis_prefix: str
) -> dict[str, str]:
    env = {
        "AUTH_DATABASE_URL": auth_url,
        "AUTH_REDIS_URL": redis_url,
        "AUTH_REDIS_PREFIX": redis_prefix,
        "AUTH_ENVIRONMENT": "test",
        "AUTH_ARGON2_TIME_COST": "1",
        "AUTH_ARGON2_MEMORY_COST_KIB": "1024",
        "AUTH_LOG_LEVEL": "WARNING",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


async def test_create_admin_creates_then_promotes(
    api: Api, cli_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    run: Callable[[list[str]], int] = main
    rc = await asyncio.to_thread(
        run,
        ["create-admin", "--email", "Root@Example.com", "--password", PASSWORD, "--role", "admin"],
    )
    assert rc == 0
    assert "created user" in capsys.readouterr().out
    r = await api.login("root@example.com")
    assert r.status_code == 200
    me = await api.client.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"}
    )
    assert me.json()["roles"] == ["admin", "user"]
    assert me.json()["email_verified"] is True
    rc = await asyncio.to_thread(
        run,
        [
            "create-admin",
            "--email",
            "root@example.com",
            "--password",
            "ignored",
            "--role",
            "auditor",
        ],
    )
    assert rc == 0
    assert [e["changes"]["roles"]["after"] for e in await api.events("user.updated")] == [
        ["admin", "auditor", "user"]
    ]
    rc = await asyncio.to_thread(
        run,
        ["create-admin", "--email", "weak@example.com", "--password", "short", "--role", "user"],
    )
    assert rc == 1
    assert "short" not in capsys.readouterr().err.replace("at least", "")


async def test_rotate_keys_command(api: Api, cli_env: dict[str, str], app: object) -> None:
    async with api.engine.connect() as conn:
        before = (await conn.execute(text("SELECT count(*) FROM auth.signing_keys"))).scalar_one()
    assert await asyncio.to_thread(main, ["rotate-keys"]) == 0
    async with api.engine.connect() as conn:
        rows = (
            (await conn.execute(text("SELECT rotated_at FROM auth.signing_keys"))).scalars().all()
        )
    assert len(rows) == before + 1
    assert sum(r is None for r in rows) == 1
    app.state.ctx.minter.forget()  # type: ignore[attr-defined]


async def test_worker_exits_cleanly_on_sigterm(cli_env: dict[str, str], amqp_url: str) -> None:
    env = {
        **os.environ,
        **cli_env,
        "AUTH_AMQP_URL": amqp_url,
        "AUTH_LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "taskflow.auth.cli",
        "worker",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert proc.stdout is not None
    try:
        while True:
            line = await asyncio.wait_for(proc.stdout.readline(), timeout=30)
            assert line, "worker exited before it started"
            if b'"job":"cleanup"' in line:  # both loops are running
                break
        proc.send_signal(signal.SIGTERM)
        rest = await asyncio.wait_for(proc.stdout.read(), timeout=30)
        assert await proc.wait() == 0
        assert b"worker_stopped" in rest
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
