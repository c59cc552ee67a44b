"""Test support for Taskflow on the real local servers; the fixtures live in ``plugin``.

The helpers here are importable for code that cannot use a fixture (a benchmark, a script).
"""

from taskflow.testing.faults import ProxyState, TcpProxy, open_proxy
from taskflow.testing.helpers import find_repo_root, free_port, wait_until
from taskflow.testing.postgres import FreshDatabase, truncate_schema
from taskflow.testing.tokens import RsaKey, RsaKeys, make_token

__all__ = [
    "FreshDatabase",
    "ProxyState",
    "RsaKey",
    "RsaKeys",
    "TcpProxy",
    "find_repo_root",
    "free_port",
    "make_token",
    "open_proxy",
    "truncate_schema",
    "wait_until",
]
