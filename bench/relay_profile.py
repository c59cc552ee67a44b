"""Profile one relay draining the outbox (cProfile), to see where its time goes.

Run: ``uv run python bench/relay_profile.py [--events 20000] [--top 40]``. Makes its own
database and vhost and drops them at the end; prints the throughput and the top functions by
cumulative and by own time. Used for docs/performance.md, "Event relay".
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import relay_scenarios

from taskflow.testing.postgres import FreshDatabase
from taskflow.testing.rabbitmq import create_vhost, delete_vhost


def main(n: int, top: int) -> None:
    db = FreshDatabase.create()
    vhost = create_vhost()
    try:
        profile = cProfile.Profile()
        profile.enable()
        result = asyncio.run(relay_scenarios.relay_throughput(db.admin_url, vhost.url, n))
        profile.disable()
        print(result)
        stats = pstats.Stats(profile)
        stats.sort_stats("tottime").print_stats(top)
        stats.sort_stats("cumulative").print_stats(top)
    finally:
        delete_vhost(vhost)
        db.drop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    main(args.events, args.top)
