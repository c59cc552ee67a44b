"""CPU to build one task list statement (`list_statement`), the part of a list request that
runs before any SQL is sent. Pure Python, no database:

    uv run python bench/tasks_list_statement.py

Prints the mean CPU milliseconds of 500 builds (after 50 to warm up), then the same with the
SQL cache key SQLAlchemy computes on execution, then a profile of 300 builds.
"""

from __future__ import annotations

import cProfile
import pstats
import time
import uuid

from taskflow.tasks.tasks.list_query import list_statement
from taskflow.tasks.tasks.schemas import TaskFilters

ME, PROJECT = uuid.uuid4(), uuid.uuid4()
FILTERS = TaskFilters()


def build() -> object:
    return list_statement(
        me=ME, project_id=PROJECT, filters=FILTERS, sort_name="-created_at",
        after=None, limit=50, check_member=True,
    )  # fmt: skip


def main() -> None:
    for _ in range(50):
        build()
    t0 = time.process_time()
    for _ in range(500):
        build()
    print(f"build: {(time.process_time() - t0) / 500 * 1000:.2f} ms CPU")
    t0 = time.process_time()
    for _ in range(500):
        build()._generate_cache_key()  # type: ignore[attr-defined]
    print(f"build + cache key: {(time.process_time() - t0) / 500 * 1000:.2f} ms CPU")
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    for _ in range(300):
        build()
    profile.disable()
    pstats.Stats(profile).sort_stats("cumulative").print_stats(12)


if __name__ == "__main__":
    main()
