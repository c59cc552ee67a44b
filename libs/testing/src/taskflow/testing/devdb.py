"""Create the development database and apply init.sql: ``python -m taskflow.testing.devdb``.

Idempotent: an existing database is kept (with its data) and init.sql, which is idempotent
itself, is applied again so that roles, schemas and grants catch up with the file. It lives
beside the test fixtures because it is the same bootstrap as ``test_database``.

Environment: ``TASKFLOW_DB_NAME`` (default ``taskflow``), ``TASKFLOW_PG_ADMIN_DSN`` (default
``postgresql://postgres@127.0.0.1:5432/postgres``), ``TASKFLOW_REPO_ROOT`` (where
``infra/postgres/init.sql`` is; found by walking up otherwise).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from taskflow.testing.helpers import INIT_SQL_RELATIVE, find_repo_root
from taskflow.testing.postgres import (
    DEFAULT_ADMIN_DSN,
    apply_init_sql,
    create_database,
    database_exists,
)


async def ensure_dev_database(admin_dsn: str, name: str) -> bool:
    """Create ``name`` if missing and apply init.sql; return True when it was created."""
    root = find_repo_root()
    created = False
    if not await database_exists(admin_dsn, name):
        try:
            await create_database(admin_dsn, name)
            created = True
        except Exception as exc:
            # Another `make dev` may have created it a moment ago; that is fine.
            if not await database_exists(admin_dsn, name):
                raise RuntimeError(f"cannot create database {name!r}: {exc}") from exc
    await apply_init_sql(admin_dsn, name, root / INIT_SQL_RELATIVE)
    return created


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--name", default=os.environ.get("TASKFLOW_DB_NAME", "taskflow"))
    parser.add_argument(
        "--admin-dsn", default=os.environ.get("TASKFLOW_PG_ADMIN_DSN", DEFAULT_ADMIN_DSN)
    )
    args = parser.parse_args(argv)
    try:
        created = asyncio.run(ensure_dev_database(args.admin_dsn, args.name))
    except Exception as exc:
        # The DSN may carry a password: name the database, never echo the DSN.
        print(f"devdb: failed to prepare database {args.name!r}: {exc}", file=sys.stderr)
        return 1
    state = "created" if created else "already existed"
    print(f"devdb: database {args.name!r} {state}; init.sql applied")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
