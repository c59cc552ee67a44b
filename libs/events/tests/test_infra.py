"""infra/rabbitmq/definitions.json agrees with the code and imports into a real broker."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import aio_pika
import orjson
import pytest

from taskflow.events.topology import DEFAULT_EXCHANGE

DEFINITIONS = Path(__file__).resolve().parents[3] / "infra" / "rabbitmq" / "definitions.json"


def test_definitions_declare_the_exchange_the_code_uses() -> None:
    data = orjson.loads(DEFINITIONS.read_bytes())
    (exchange,) = data["exchanges"]
    assert exchange["name"] == DEFAULT_EXCHANGE
    assert exchange["type"] == "topic"
    assert exchange["durable"] is True
    assert all(p["definition"].get("overflow") == "reject-publish" for p in data["policies"])


async def _ctl(exe: str, *args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        exe,
        "-q",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(stdin), 60)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_definitions_import_into_a_vhost(amqp_vhost: Any, amqp_url: str) -> None:
    exe = shutil.which("rabbitmqctl")
    if exe is None:
        pytest.skip("rabbitmqctl is not installed")
    raw = DEFINITIONS.read_text().replace('"vhost": "/"', f'"vhost": "{amqp_vhost.name}"')
    data = orjson.loads(raw)
    data["vhosts"] = [{"name": amqp_vhost.name}]
    # In /tmp and world-readable: rabbitmqctl runs as the broker's user, which cannot read
    # pytest's private tmp dir (and 3.10 does not read "-" from stdin).
    fd, name = tempfile.mkstemp(prefix="tf-definitions-", suffix=".json", dir="/tmp")
    try:
        os.write(fd, orjson.dumps(data))
        os.close(fd)
        os.chmod(name, 0o644)
        code, _out, err = await _ctl(exe, "import_definitions", name)
    finally:
        os.unlink(name)
    assert code == 0, err
    code, out, err = await _ctl(exe, "list_policies", "-p", amqp_vhost.name)
    assert code == 0, err
    assert "taskflow-parking-bounded" in out
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        # passive: fails unless the import created it
        await channel.get_exchange(DEFAULT_EXCHANGE, ensure=True)
    finally:
        await connection.close()
