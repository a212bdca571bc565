"""The bench's parallel section (issue 11 items 3 and 6): one run of retry-after-cancel
(prepare-with-lease, gc-policy any, at the bench's `parallel_point`) searched breadth-first
with `--workers 1`, `--workers 2` and `--dask` (a LocalCluster of 2 workers on loopback,
its start-up included), each `repeat` times, the configurations alternated within each
repetition, and serial `--strategy bfs` once, the run the speed-up is asked of (issue 11:
one that takes at least 30 s serially). Every search runs in a process of its own
(scenarios/bench_child.py), so no memo of one helps another.

A parallel search's time is wall time (its coordinator's CPU says nothing of its
workers'), so each row gives the median wall seconds of its runs, the speed-up over one
worker's median, the 1-minute load average before each run (os.getloadavg: this machine
is shared, and a speed-up needs idle cores), and whether its states, verdict and
counterexample are identical to the first `--workers 1` run's, as scheduler/
parallel_search.py promises."""

from __future__ import annotations

import os
import statistics
from collections.abc import Callable
from typing import Any

from unpack_race.scenarios.bench_child import measure

#: label -> the child job's backend keys
CONFIGS: dict[str, dict[str, Any]] = {
    "workers=1": {"workers": 1},
    "workers=2": {"workers": 2},
    "dask=2": {"workers": 2, "dask": True},
}
SERIAL = "serial bfs"


def load() -> float | None:
    """The 1-minute load average (None where the platform has none)."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def parallel_rows(layers: int, gc_runs: int, repeat: int, seconds: float,
                  log: Callable[[str, dict[str, Any]], None]) -> list[dict[str, Any]]:
    """A row per configuration (the three parallel ones, then serial bfs), logged as
    ("parallel", row) when its last run is done."""
    params = {"layers": layers, "gc-runs": gc_runs, "gc-policy": "any"}
    base = {"scenario": "retry-after-cancel", "variant": "prepare-with-lease", "params": params,
            "strategy": "bfs", "seconds": seconds, "properties": True}
    timeout = seconds * 2 + 120  # the budget is checked between levels: allow a level's overrun
    runs: dict[str, list[dict[str, Any]]] = {label: [] for label in [*CONFIGS, SERIAL]}
    for repetition in range(repeat):
        order = list(CONFIGS) if repetition % 2 == 0 else list(reversed(CONFIGS))
        if repetition == 0:
            order.append(SERIAL)
        for label in order:
            before = load()
            found = measure({**base, **CONFIGS.get(label, {})}, timeout=timeout)
            runs[label].append({**found, "load_before": before})
    reference = runs["workers=1"][0]
    one = statistics.median(r["wall_seconds"] for r in runs["workers=1"])
    rows = []
    for label, found in runs.items():
        wall = statistics.median(r["wall_seconds"] for r in found)
        first = found[0]
        row = {
            "layers": layers, "gc_runs": gc_runs, "config": label, "runs": len(found),
            "wall_seconds": [round(r["wall_seconds"], 2) for r in found], "median_wall_seconds": round(wall, 2),
            "speedup_over_1_worker": round(one / wall, 2) if wall else None,
            "coordinator_cpu_seconds": round(statistics.median(r["cpu_seconds"] for r in found), 2),
            "load_before": [r["load_before"] for r in found],
            "verdict": first["verdict"], "states": first["states"],
            "counterexample_steps": len(first["counterexample"]) or None,
            "identical_to_1_worker": all(_same(r, reference) for r in found),
        }
        rows.append(row)
        log("parallel", row)
    return rows


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return (a["verdict"], a["states"], a["counterexample"]) == (b["verdict"], b["states"], b["counterexample"])
