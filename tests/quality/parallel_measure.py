"""The parallel breadth-first search timed against itself and the serial searches: a
hand-run script for the numbers in docs/engine.md (not a test). Wall-clock time is the
clock that matters for several processes (CPU time of the coordinator says nothing of the
workers'), so it reports wall-time medians of `--repeat` runs, the configurations
alternated within each repetition, each search in its own process (no memo of an earlier
search helps a later one):

    python3 tests/quality/parallel_measure.py retry-after-cancel prepare-with-lease \\
        '{"layers": 4, "gc-runs": 2}' --repeat 3 --serial-once

Configurations: `workers=1`, `workers=2` (processes), `dask=2` (a LocalCluster of 2
worker processes on 127.0.0.1, its start-up included), and the serial `bfs` and `dfs`
(state caching, restoring). Every run prints one JSON line (verdict, states, seconds);
the summary gives the medians, the speed-ups against `workers=1`, and whether every
configuration found the same verdict and states (and the counterexample's steps, for a
violation). Run it on a quiet machine, with nothing else of yours running; say in the
report what else the machine ran.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

ONE_RUN = r"""
import json, sys, time
from unpack_race.scenarios.api.parallel import ScenarioBuild, backend_for
from unpack_race.scenarios.registry import scenario
from unpack_race.scheduler.parallel_search import parallel_bfs
from unpack_race.scheduler.strategies.registry import search

name, variant, params, config = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
sc = scenario(name)
values = sc.resolve(params)
built = sc.build(variant, values)
started = time.monotonic()
if config in ("bfs", "dfs"):
    result = search(config, built.program, built.properties, bounds=built.bounds)
else:
    kind, n = config.split("=")
    backend = backend_for("bfs", int(n), "local" if kind == "dask" else None)
    result = parallel_bfs(built.program, built.properties, backend, build=ScenarioBuild(name, variant, values))
wall = time.monotonic() - started
steps = [(s.actor, repr(s.effect)) for s in result.counterexample]
print(json.dumps({"config": config, "wall": round(wall, 2), "verdict": str(result.verdict),
                  "states": result.states, "counterexample": steps, "notes": result.coverage.facts.notes}))
"""

CONFIGS = ("workers=1", "workers=2", "dask=2", "bfs", "dfs")


def run(name: str, variant: str, params: str, config: str) -> dict:
    done = subprocess.run([sys.executable, "-c", ONE_RUN, name, variant, params, config],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{config} failed:\n{done.stderr}")
    found = json.loads(done.stdout.strip().splitlines()[-1])
    print(json.dumps({k: v for k, v in found.items() if k != "counterexample"}), flush=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario")
    parser.add_argument("variant")
    parser.add_argument("params", help="the scenario's parameters, as JSON")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--serial-once", action="store_true", help="run the serial bfs and dfs once, not --repeat times")
    args = parser.parse_args()
    configs = args.configs.split(",")
    runs: dict[str, list[dict]] = {c: [] for c in configs}
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    for repetition in range(args.repeat):
        order = configs if repetition % 2 == 0 else list(reversed(configs))
        for config in order:
            if args.serial_once and config in ("bfs", "dfs") and runs[config]:
                continue
            runs[config].append(run(args.scenario, args.variant, args.params, config))
    medians = {c: statistics.median(r["wall"] for r in found) for c, found in runs.items()}
    breadth_first = {(r["verdict"], r["states"], json.dumps(r["counterexample"]))
                     for config, found in runs.items() if config != "dfs" for r in found}
    same = len(breadth_first) == 1 and {r["verdict"] for r in runs.get("dfs", [])} <= {v for v, _, _ in breadth_first}
    print(f"\n{args.scenario} {args.variant} {args.params}, started {started}; wall-time medians of "
          f"{args.repeat} (serial searches: {'once' if args.serial_once else args.repeat}):")
    for config in configs:
        speedup = medians.get("workers=1", 0) / medians[config] if medians[config] else 0
        found = runs[config][0]
        print(f"  {config:>10}: {medians[config]:8.2f} s  ({speedup:.2f}x workers=1)  {found['verdict']}, "
              f"{found['states']} states, runs {[r['wall'] for r in runs[config]]}")
    print(f"  identical verdicts, states and counterexamples (bfs and parallel; dfs: verdict): {same}")


if __name__ == "__main__":
    main()
