"""The floors, measured in the same run: the bare app behind nginx, and pgbench.

- the floor app (floor_app.py) runs with as many uvicorn processes as the tasks api, behind an
  nginx of its own that uses the gateway's proxy settings (HTTP/1.1 keepalive to the upstream,
  the same JSON access log, gzip), so the comparison isolates what our Python does;
- pgbench runs the list statement (and the detail statement) with the same number of clients,
  which is what PostgreSQL alone does for the same SQL on this machine.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.dialects import postgresql

from taskflow.common.pagination import PageParams, keyset_select
from taskflow.tasks.tasks.list_query import list_statement
from taskflow.tasks.tasks.schemas import TaskFilters

HERE = Path(__file__).resolve().parent
NGINX_CONF = """
worker_processes auto;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log {prefix}/access.log combined;
    keepalive_timeout 65s;
    gzip on; gzip_comp_level 5; gzip_min_length 512; gzip_proxied any;
    gzip_types application/json;
    client_body_temp_path {prefix}/body; proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fcgi; uwsgi_temp_path {prefix}/uwsgi; scgi_temp_path {prefix}/scgi;
    upstream floor {{ server 127.0.0.1:{app_port}; keepalive 32; }}
    server {{
        listen 127.0.0.1:{port};
        location /floor/ {{
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Request-ID $request_id;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_pass http://floor;
        }}
    }}
}}
"""


def list_sql(user: str, project: str) -> str:
    """The tasks service's own first-page list statement for `user` in `project`."""
    base, sort = list_statement(
        me=uuid.UUID(user),
        project_id=uuid.UUID(project),
        filters=TaskFilters(),
        sort_name="-created_at",
        check_member=True,
    )
    # The first page as `repository.list_tasks` pages it: the sort's order, limit + 1 rows.
    stmt = keyset_select(base, sort.keys(), PageParams(limit=50), prefix=(sort.name,))
    sql = str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    return re.sub(r"(ARRAY\[(?:'[0-9a-f-]{36}'(?:, )?)+\])", r"\1::uuid[]", sql)


def detail_sql(task: str, user: str) -> str:
    """The floor app's detail statement with literal values, for pgbench."""
    from floor_app import DETAIL_SQL

    return DETAIL_SQL.replace("$1", f"'{uuid.UUID(task)}'").replace("$2", f"'{uuid.UUID(user)}'")


@dataclass
class Floor:
    """The floor app and its nginx, running until `stop()`."""

    url: str
    processes: list[subprocess.Popen[bytes]]
    folder: Path

    def stop(self) -> None:
        for p in self.processes:
            p.terminate()
        for p in self.processes:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(self.folder, ignore_errors=True)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_floor(dsn: str, statements: dict[str, str], workers: int) -> Floor:
    folder = Path(tempfile.mkdtemp(prefix="taskflow-floor-"))
    (folder / "sql.json").write_text(json.dumps(statements))
    app_port, port = _free_port(), _free_port()
    env = {**os.environ, "FLOOR_DSN": dsn, "FLOOR_SQL": str(folder / "sql.json")}
    app = subprocess.Popen(
        [
            "uv",
            "run",
            "--no-sync",
            "--group",
            "bench",
            "python",
            "-m",
            "uvicorn",
            "floor_app:app",
            "--app-dir",
            str(HERE),
            "--port",
            str(app_port),
            "--workers",
            str(workers),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    (folder / "nginx.conf").write_text(
        NGINX_CONF.format(prefix=folder, app_port=app_port, port=port)
    )
    nginx = subprocess.Popen(
        ["nginx", "-c", str(folder / "nginx.conf"), "-p", str(folder), "-g", "daemon off;"],
    )
    floor = Floor(f"http://127.0.0.1:{port}", [nginx, app], folder)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            probe = f"{floor.url}/floor/tasks/{uuid.uuid4()}"
            headers = {"x-user-id": str(uuid.uuid4())}
            if httpx.get(probe, headers=headers, timeout=2).status_code == 404:
                return floor
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    floor.stop()
    raise SystemExit("the floor app did not start")


def pgbench(dsn: str, sql: str, clients: int, seconds: int) -> dict[str, Any]:
    """Transactions per second and mean latency of `sql` with `clients` pgbench clients."""
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(sql.strip().rstrip(";") + ";\n")
        script = f.name
    try:
        done = subprocess.run(
            [
                "pgbench",
                "-n",
                "-M",
                "prepared",
                "-c",
                str(clients),
                "-j",
                "2",
                "-T",
                str(seconds),
                "-f",
                script,
                dsn,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        os.unlink(script)
    if done.returncode != 0:
        print(f"pgbench failed: {done.stderr.strip()[-300:]}")
    out = done.stdout
    tps = re.search(r"tps = ([\d.]+)", out)
    latency = re.search(r"latency average = ([\d.]+) ms", out)
    return {
        "tps": float(tps.group(1)) if tps else float("nan"),
        "latency_ms": float(latency.group(1)) if latency else float("nan"),
    }
