"""Tables (markdown) and the latency-over-time plot (PNG) of a load run."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from mix import Sample


def quantile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return math.nan
    i = min(len(sorted_values) - 1, max(0, math.ceil(q * len(sorted_values)) - 1))
    return sorted_values[i]


def summarise(samples: Iterable[Sample], seconds: float) -> dict[str, dict[str, float]]:
    """Per operation (and "all"): req/s, p50/p95/p99 in ms, and the share of failures."""
    by_op: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        by_op[s.op].append(s)
        by_op["all"].append(s)
    out = {}
    order = [*sorted(k for k in by_op if k != "all"), "all"]
    for op in order:
        group = by_op[op]
        lat = sorted(s.seconds * 1000 for s in group)
        bad = sum(1 for s in group if s.status == 0 or s.status >= 500)
        out[op] = {
            "n": len(group),
            "rps": len(group) / seconds,
            "p50": quantile(lat, 0.50),
            "p95": quantile(lat, 0.95),
            "p99": quantile(lat, 0.99),
            "errors": bad,
            "non2xx": sum(1 for s in group if not 200 <= s.status < 300),
        }
    return out


def table(rows: Mapping[str, Mapping[str, Any]], columns: list[tuple[str, str, str]]) -> str:
    """A markdown table: `columns` are (key, heading, format)."""
    head = "| | " + " | ".join(h for _, h, _ in columns) + " |"
    rule = "|---" * (len(columns) + 1) + "|"
    lines = [head, rule]
    for name, row in rows.items():
        cells = [format(row.get(k, math.nan), f) for k, _, f in columns]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


LATENCY = [
    ("rps", "req/s", ".0f"),
    ("p50", "p50 ms", ".1f"),
    ("p95", "p95 ms", ".1f"),
    ("p99", "p99 ms", ".1f"),
    ("non2xx", "non-2xx", "d"),
    ("errors", "5xx/failed", "d"),
]


def plot(series: Mapping[str, list[Sample]], path: Path) -> None:
    """p50 and p99 latency per second of each run, one panel per run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(series), 1, figsize=(9, 2.6 * len(series)), squeeze=False)
    for ax, (name, samples) in zip(axes[:, 0], series.items(), strict=True):
        buckets: dict[int, list[float]] = defaultdict(list)
        for s in samples:
            buckets[int(s.at)].append(s.seconds * 1000)
        xs = sorted(buckets)
        for q, style in ((0.5, "-"), (0.99, "--")):
            ax.plot(
                xs, [quantile(sorted(buckets[x]), q) for x in xs], style, label=f"p{int(q * 100)}"
            )
        ax2 = ax.twinx()
        ax2.plot(xs, [len(buckets[x]) for x in xs], ":", color="grey", label="req/s")
        ax2.set_ylabel("req/s")
        ax.set_title(name, fontsize=10)
        ax.set_ylabel("ms")
        ax.legend(loc="upper left", fontsize=8)
    axes[-1, 0].set_xlabel("seconds into the run")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
