"""Render the gateway's nginx configuration from its templates and the environment.

Only `${UPPER_CASE}` placeholders are filled (nginx's own `$lower_case` variables pass
through untouched), so one set of templates serves `make dev`, compose and Kubernetes.
An unknown placeholder is an error rather than an empty string: a silently empty upstream
would make nginx start and then fail every request.

    python gateway/render.py --out .dev/nginx          # uses the environment (and defaults)

Run as root, nginx's master drops its workers to an unprivileged user (`nobody`), and those
workers read the static files and write the request/response temp files. A clone under
`/root` (mode 700) is out of their reach, so `/` answered 500. The renderer therefore stages
what the workers touch (the SPA, the gateway's own pages, the temp folders) in a world-readable
folder when it runs as root and the originals are not readable by others; see `stage`.
"""

from __future__ import annotations

import argparse
import hashlib
import ipaddress
import os
import re
import shutil
import stat
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")

DEFAULTS = {
    "GATEWAY_LISTEN": "127.0.0.1:8080",
    "AUTH_UPSTREAM": "127.0.0.1:8001",
    "TASKS_UPSTREAM": "127.0.0.1:8002",
    "NOTIFICATIONS_UPSTREAM": "127.0.0.1:8003",
    "AUDIT_UPSTREAM": "127.0.0.1:8004",
    "REPORTING_UPSTREAM": "127.0.0.1:8005",
    "SPA_ROOT": str(HERE.parent / "frontend" / "dist"),
    "GATEWAY_HTML_DIR": str(HERE / "html"),
    "NGINX_MIME_TYPES": "/etc/nginx/mime.types",
    "RATE_API": "50r/s",
    "RATE_API_BURST": "100",
    "RATE_AUTH": "10r/m",
    "RATE_AUTH_BURST": "5",
    # TLS: set TLS_CERT_FILE and TLS_KEY_FILE to enable the TLS server block.
    "TLS_LISTEN": "8443",
    "TLS_CERT_FILE": "",
    "TLS_KEY_FILE": "",
    # Comma-separated addresses/networks of a load balancer in front of the gateway whose
    # X-Forwarded-For is believed (nginx realip); empty: the socket peer is the client.
    "TRUSTED_EDGE": "",
}

TLS_BLOCK = """    server {
        listen ${TLS_LISTEN} ssl;
        server_name _;
        ssl_certificate ${TLS_CERT_FILE};
        ssl_certificate_key ${TLS_KEY_FILE};
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_prefer_server_ciphers off;
        ssl_session_cache shared:tf_tls:10m;
        ssl_session_timeout 1d;
        ssl_session_tickets off;
        include ${GATEWAY_CONF_DIR}/taskflow-locations-tls.conf;
    }
"""

_SERVICES = ("auth", "tasks", "notifications", "audit", "reporting")
API_DOCS_BLOCK = "\n".join(
    [
        "location = /api/docs {",
        "    default_type text/html;",
        "    alias ${GATEWAY_HTML_DIR}/apis.html;",
        "}",
        *(
            f"location = /api/openapi/{s}.json "
            f"{{ proxy_pass http://tf_{s}_upstream/openapi.json; }}"
            for s in _SERVICES
        ),
    ]
)

#: Variables read besides the template placeholders in DEFAULTS (checked against compose and
#: the chart by infra/tests).
READS_ALSO = ("NGINX_LOG_DIR", "TRUSTED_EDGE", "GATEWAY_ENVIRONMENT", "TASKFLOW_ENVIRONMENT")


def environment(env: dict[str, str]) -> str:
    """`GATEWAY_ENVIRONMENT`, else the shared `TASKFLOW_ENVIRONMENT`, else development."""
    value = env.get("GATEWAY_ENVIRONMENT") or env.get("TASKFLOW_ENVIRONMENT") or "development"
    return value.strip().lower()


HSTS = 'add_header Strict-Transport-Security "max-age=63072000; includeSubDomains" always;'


def fill(text: str, values: dict[str, str]) -> str:
    """Replace every ${NAME}; refuse names we do not know."""

    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"unknown placeholder ${{{name}}}")
        return values[name]

    return PLACEHOLDER.sub(sub, text)


def readable_by_others(path: Path) -> bool:
    """Whether a user other than the owner can reach `path` and read everything under it.

    Every folder from the root down to `path` needs o+x; each folder inside o+rx, each file o+r.
    """
    path = path.resolve()
    for parent in reversed(path.parents):
        if not os.stat(parent).st_mode & stat.S_IXOTH:
            return False
    if not path.exists():
        return True  # nothing to serve yet: nginx answers 404s, not 500s
    if path.is_file():
        return bool(os.stat(path).st_mode & stat.S_IROTH)
    for folder, _dirs, files in os.walk(path):
        mode = os.stat(folder).st_mode
        if not (mode & stat.S_IROTH and mode & stat.S_IXOTH):
            return False
        if not all(os.stat(Path(folder, f)).st_mode & stat.S_IROTH for f in files):
            return False
    return True


def _staging_dir(out: Path, env: dict[str, str]) -> Path:
    """A world-readable folder of our own for this render target (stable across runs).

    The name is predictable, so an existing path that is a symlink or not ours is never used
    (someone else could have planted it); a fresh random folder is made instead.
    """
    base = Path(env.get("GATEWAY_STAGE_DIR") or tempfile.gettempdir())
    digest = hashlib.sha256(str(out).encode()).hexdigest()[:12]
    folder = base / f"taskflow-gateway-{os.geteuid()}-{digest}"
    try:
        info = os.lstat(folder)
    except FileNotFoundError:
        folder.mkdir(mode=0o755)
    else:
        if (
            stat.S_ISLNK(info.st_mode)
            or info.st_uid != os.geteuid()
            or not stat.S_ISDIR(info.st_mode)
        ):
            folder = Path(tempfile.mkdtemp(prefix="taskflow-gateway-", dir=base))
    folder.chmod(0o755)
    return folder


def stage(out: Path, values: dict[str, str], env: dict[str, str]) -> Path | None:
    """When nginx will run as root, put what its workers touch where they can reach it.

    Copies SPA_ROOT and GATEWAY_HTML_DIR (only if not readable by others) into the staging
    folder and points NGINX_TEMP_DIR there when `out` itself is private. Returns the staging
    folder, or None when nothing needed it (not root, or everything already readable). A
    rebuilt SPA is picked up by rendering again (`make dev` does on every start).
    """
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    moves = [k for k in ("SPA_ROOT", "GATEWAY_HTML_DIR") if not readable_by_others(Path(values[k]))]
    private_out = not readable_by_others(out)
    if not moves and not private_out:
        return None
    folder = _staging_dir(out, env)
    for key in moves:
        target = folder / key.lower()
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(values[key], target)
        for root, _dirs, files in os.walk(target):
            Path(root).chmod(0o755)
            for name in files:
                Path(root, name).chmod(0o644)
        values[key] = str(target)
    if private_out:
        temp = folder / "temp"
        temp.mkdir(mode=0o755, exist_ok=True)
        values["NGINX_TEMP_DIR"] = str(temp)
    return folder


def real_ip_block(trusted_edge: str) -> str:
    """nginx realip directives for the trusted edge; refuses what is not an address."""
    entries = [e.strip() for e in trusted_edge.split(",") if e.strip()]
    if not entries:
        return "# No trusted edge (TRUSTED_EDGE): the socket peer is the client."
    lines = []
    for entry in entries:
        ipaddress.ip_network(entry, strict=False)  # ValueError on a typo
        lines.append(f"set_real_ip_from {entry};")
    return "\n".join([*lines, "real_ip_header X-Forwarded-For;", "real_ip_recursive on;"])


def render(out: Path, env: dict[str, str]) -> Path | None:
    """Write nginx.conf and its includes into `out` (also the nginx prefix).

    Returns the staging folder when one was needed (see `stage`): the caller may remove it
    after nginx stops.
    """
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    values = {key: env.get(key, default) for key, default in DEFAULTS.items()}
    values.update(
        NGINX_PREFIX=str(out),
        NGINX_TEMP_DIR=str(out),
        NGINX_LOG_DIR=env.get("NGINX_LOG_DIR", str(out / "logs")),
        GATEWAY_CONF_DIR=str(out),
        REAL_IP_FROM=real_ip_block(env.get("TRUSTED_EDGE", "")),
    )
    # Staging first: it may move GATEWAY_HTML_DIR, which the docs block names.
    staged = stage(out, values, env)
    production = environment(env) == "production"
    values["API_DOCS_LOCATIONS"] = (
        "# API docs are not served in production" if production else fill(API_DOCS_BLOCK, values)
    )
    tls = bool(values["TLS_CERT_FILE"] and values["TLS_KEY_FILE"])
    values["TLS_SERVER_BLOCK"] = fill(TLS_BLOCK, values) if tls else "    # TLS disabled"
    (out / "logs").mkdir(parents=True, exist_ok=True)
    Path(values["NGINX_LOG_DIR"]).mkdir(parents=True, exist_ok=True)

    locations = (HERE / "taskflow-locations.conf.template").read_text()
    headers = (HERE / "security-headers.conf.template").read_text()
    for suffix, hsts in (("", ""), ("-tls", HSTS)):
        variant = {**values, "TLS_SUFFIX": suffix, "HSTS_HEADER": hsts}
        (out / f"taskflow-locations{suffix}.conf").write_text(fill(locations, variant))
        (out / f"security-headers{suffix}.conf").write_text(fill(headers, variant))
    (out / "nginx.conf").write_text(fill((HERE / "nginx.conf.template").read_text(), values))
    return staged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="output folder and nginx prefix")
    args = parser.parse_args(argv)
    render(args.out, dict(os.environ))
    print(args.out / "nginx.conf")
    return 0


if __name__ == "__main__":
    sys.exit(main())
