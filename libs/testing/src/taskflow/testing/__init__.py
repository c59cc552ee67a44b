"""Test support for Taskflow on the real local servers; the fixtures live in ``plugin``.

The helpers here are importable for code that cannot use a fixture (a benchmark, a script).
"""

from taskflow.testing.helpers import find_repo_root, free_port, wait_until
from taskflow.testing.postgres import FreshDatabase, truncate_schema
from taskflow.testing.tokens import RsaKey, RsaKeys, make_token

__all__ = [
    "FreshDatabase",
    "RsaKey",
    "RsaKeys",
    "find_repo_root",
    "free_port",
    "make_token",
    "truncate_schema",
    "wait_until",
]
