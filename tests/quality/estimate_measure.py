"""How far the cost estimate (scheduler/estimate.py) is from the real search, on issue 11's
target list, run by hand (not a test):

    PYTHONPATH=... nice -n 15 python3 tests/quality/estimate_measure.py [--seeds 5] [--probes 100,200,500]

For each program: the real search once (its executions, the count compared, its CPU
seconds), then the estimate after each number of probes over each seed: the median and
the worst relative error, and the probes' CPU seconds (median) against the search's.
Prints one JSON line per program and a table at the end.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from unpack_race.scenarios.registry import scenario_of
from unpack_race.scheduler.estimate import estimate
from unpack_race.scheduler.strategies.registry import entry, search

#: (label, scenario, variant, parameters, strategy, options)
TARGETS = [
    ("lastzero(10) optimal DPOR", "lastzero", None, {"n": 10}, "dpor", {"reduction": "optimal"}),
    ("filesystem(18) optimal DPOR", "filesystem", None, {"n": 18}, "dpor", {"reduction": "optimal"}),
    ("indexer(13) optimal DPOR", "indexer", None, {"n": 13}, "dpor", {"reduction": "optimal"}),
    ("lastzero(10) source DPOR", "lastzero", None, {"n": 10}, "dpor", {}),
    ("lastzero(4) DFS, no reduction", "lastzero", None, {"n": 4}, "dfs", {"state_caching": False}),
    ("retry-after-cancel 3/2 DFS+caching", "retry-after-cancel", "prepare-with-lease",
     {"layers": 3, "gc-runs": 2, "gc-policy": "any"}, "dfs", {}),
    ("retry-after-cancel 5/3 DFS+caching", "retry-after-cancel", "prepare-with-lease",
     {"layers": 5, "gc-runs": 3, "gc-policy": "any"}, "dfs", {}),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--probes", default="100,200,500")
    parser.add_argument("--only", default=None, help="a substring of the labels to run")
    args = parser.parse_args()
    counts = [int(p) for p in args.probes.split(",")]
    rows = []
    for label, name, variant, params, strategy, options in TARGETS:
        if args.only and args.only not in label:
            continue
        sc = scenario_of(name)
        built = sc.build(sc.choose_variant(variant), sc.resolve(params))
        made = entry(strategy).make(**entry(strategy).resolve(options))
        started = time.process_time()
        result = search(strategy, built.program, built.properties, bounds=built.bounds, **options)
        search_seconds = time.process_time() - started
        row = {"program": label, "executions": result.executions, "complete": result.coverage.complete,
               "search_seconds": round(search_seconds, 2), "by_probes": {}}
        for probes in counts:
            errors, seconds, used, methods = [], [], [], set()
            for seed in range(args.seeds):
                e = estimate(built.program, made.estimate_rule, probes, seed, restores=made.restores,
                             bfs=strategy == "bfs")
                ran = e.compared(result.executions, result.coverage.complete)
                errors.append(e.off_by(ran) if e.known else float("nan"))
                seconds.append(e.probe_seconds)
                used.append(e.probes)
                methods.add(e.method)
            absolute = [abs(x) for x in errors]
            row["by_probes"][probes] = {
                "errors": [round(x, 3) for x in errors], "median_abs_error": round(statistics.median(absolute), 3),
                "worst_abs_error": round(max(absolute), 3), "probe_seconds_median": round(statistics.median(seconds), 3),
                "probes_used": used, "methods": sorted(methods),
            }
        print(json.dumps(row), flush=True)
        rows.append(row)
    print()
    print("| program | ran | probes | median error | worst error | probes' CPU s (median) | search CPU s |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        for probes, m in row["by_probes"].items():
            ran = row["complete"] if "DPOR" in row["program"] else row["executions"]
            print(f"| {row['program']} | {ran:,} | {probes} | {100 * m['median_abs_error']:.0f}% | "
                  f"{100 * m['worst_abs_error']:.0f}% | {m['probe_seconds_median']:.2f} | {row['search_seconds']:.2f} |")


if __name__ == "__main__":
    main()
