"""The SPIN comparison of the bench (issue 12, item 5): unpack-race and SPIN on the same grid
of retry-after-cancel (tests/crosscheck/spin_grid.py), timed, written as a Markdown table.

For each configuration:
- unpack-race: `api.check` (DFS with state caching, as `unpack-race check`), its verdict
  and distinct states, and its CPU time (time.process_time of this process: building the
  program and searching), the median of `--repeat` runs;
- SPIN on the Promela model with each pull's history (HISTORY=1, the model whose states
  must equal unpack-race's): its verdict and "states, stored"; the CPU time of `./pan`
  alone ("per search") and of `spin -a` + `gcc -O2` + `./pan` ("end to end"), each the
  median of `--repeat` runs; and the natural model's (HISTORY=0) states;
- the ratios of unpack-race's time to SPIN's, per search and end to end.
CPU time, not wall-clock time, so that a shared machine slows the numbers less; the
header says whether the machine was shared.

    python3 tests/crosscheck/spin_bench.py --out DIR [--full] [--repeat 3] [--name spin] [--shared TEXT]

writes DIR/spin.md (and DIR/spin.json; `--name` changes the name). Run from the repository with the package
importable (PYTHONPATH holding a directory in which unpack_race is this repository).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import spin_runner  # noqa: E402
from spin_grid import Point, full_grid, quick_grid  # noqa: E402
from unpack_race.scenarios import api  # noqa: E402
from unpack_race.scenarios.registry import scenario_of  # noqa: E402

OPT = "-O2"
#: pan's hash table for the second timing: 2^18 slots, room for 50 times the largest state space here
SMALL_TABLE = "-w18"


def measure_unpack_race(point: Point, repeat: int) -> dict:
    seconds, checked = [], None
    for _ in range(repeat):
        started = time.process_time()
        checked = api.check("retry-after-cancel", point.variant, params=point.params(), strategy="dfs")
        seconds.append(time.process_time() - started)
    violation = checked.result.violation
    return {"verdict": checked.verdict.value, "property": violation.property if violation else None,
            "states": checked.result.coverage.states, "executions": checked.result.coverage.executions,
            "cpu": statistics.median(seconds)}


def measure_spin(point: Point, repeat: int, workdir: Path) -> dict:
    runs = [spin_runner.verify(point.defines(history=True), workdir / f"h{i}", opt=OPT) for i in range(repeat)]
    small = [spin_runner.rerun(runs[0], SMALL_TABLE) for _ in range(repeat)]
    natural = spin_runner.verify(point.defines(history=False), workdir / "natural", opt=OPT)
    first = runs[0]
    if any((r.violated, r.states) != (first.violated, first.states) for r in runs + small):
        raise spin_runner.SpinError(f"{point.label}: SPIN gave different answers on the same model")
    return {"verdict": "violation" if first.violated else "pass", "property": first.violated,
            "states": first.states, "natural_states": natural.states, "depth": first.depth,
            "pan": statistics.median(r.pan_seconds for r in runs),
            "pan_small_table": statistics.median(r.pan_seconds for r in small),
            "end_to_end": statistics.median(r.total_seconds for r in runs),
            "generate": statistics.median(r.cpu["spin -a"] for r in runs),
            "compile": statistics.median(r.cpu["gcc"] for r in runs)}


def ratio(a: float, b: float) -> str:
    return f"{a / b:.3g}" if b > 0 else "-"


def verdict_text(verdict: str, prop: str | None) -> str:
    return f"{verdict} ({prop})" if prop else verdict


def table(rows: list[dict]) -> list[str]:
    lines = ["| configuration | expected | unpack-race | SPIN | states: unpack-race | SPIN (history) | "
             "SPIN (natural) | unpack-race CPU s | SPIN pan CPU s | pan -w18 CPU s | SPIN end to end CPU s "
             "(spin -a + gcc + pan) | x per search | x per search (-w18) | x end to end |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        ur, sp = row["unpack_race"], row["spin"]
        passing = ur["verdict"] == "pass"
        states = (f"{ur['states']} | {sp['states']} | {sp['natural_states']}" if passing else
                  f"({ur['states']} to the first violation) | ({sp['states']}) | {sp['natural_states']}")
        lines.append(f"| {row['configuration']} | {verdict_text(row['expected'], row['expected_property'])} | "
                     f"{verdict_text(ur['verdict'], ur['property'])} | {verdict_text(sp['verdict'], sp['property'])} | "
                     f"{states} | {ur['cpu']:.3f} | {sp['pan']:.4f} | {sp['pan_small_table']:.4f} | "
                     f"{sp['end_to_end']:.3f} ({sp['generate']:.3f} + {sp['compile']:.3f} + {sp['pan']:.4f}) | "
                     f"{ratio(ur['cpu'], sp['pan'])} | {ratio(ur['cpu'], sp['pan_small_table'])} | "
                     f"{ratio(ur['cpu'], sp['end_to_end'])} |")
    return lines


def commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=Path(__file__).resolve().parent, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="time unpack-race and SPIN on the SPIN cross-check's grid")
    parser.add_argument("--out", required=True, help="directory for spin.md and spin.json")
    parser.add_argument("--full", action="store_true", help="the full grid (the slow test's), not the quick one")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the median is reported")
    parser.add_argument("--name", default="spin", help="the files' name: NAME.md and NAME.json (default spin)")
    parser.add_argument("--shared", default="", help="a note for the header, e.g. who else used the machine")
    args = parser.parse_args(argv)
    why = spin_runner.missing_tools()
    if why:
        print(f"spin_bench: {why}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    grid = full_grid() if args.full else quick_grid()
    scenario = scenario_of("retry-after-cancel")
    rows = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="spin-bench-") as tmp:
        for n, point in enumerate(grid):
            expected = scenario.expected(point.variant, point.params())
            row = {"configuration": point.label, "expected": expected.verdict.value,
                   "expected_property": expected.property,
                   "unpack_race": measure_unpack_race(point, args.repeat),
                   "spin": measure_spin(point, args.repeat, Path(tmp) / f"{n:03d}")}
            rows.append(row)
            print(f"[{n + 1}/{len(grid)}] {point.label}: unpack-race {row['unpack_race']['verdict']} "
                  f"{row['unpack_race']['states']}, SPIN {row['spin']['verdict']} {row['spin']['states']}",
                  file=sys.stderr, flush=True)
    elapsed = time.monotonic() - started
    agree = sum(r["unpack_race"]["verdict"] == r["spin"]["verdict"] and
                r["unpack_race"]["property"] == r["spin"]["property"] for r in rows)
    equal = sum(r["unpack_race"]["states"] == r["spin"]["states"] for r in rows if r["unpack_race"]["verdict"] == "pass")
    passing = sum(r["unpack_race"]["verdict"] == "pass" for r in rows)
    command = shlex.join(["python3", "tests/crosscheck/spin_bench.py", *(argv if argv is not None else sys.argv[1:])])
    shared = f" The machine was shared: {args.shared}." if args.shared else ""
    lines = [
        f"# SPIN and unpack-race on retry-after-cancel, {datetime.date.today().isoformat()}",
        "",
        f"Command: `{command}`  ",
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}; "
        f"{spin_runner.spin_version()}; commit {commit()}; the whole comparison took {elapsed:.1f} s.{shared}",
        "",
        f"{len(rows)} configurations ({'full' if args.full else 'quick'} grid, tests/crosscheck/spin_grid.py; "
        f"release 2.0 and order cancel-then-retry unless the configuration names them); the verdicts agree on {agree} of {len(rows)}; on the "
        f"{passing} passing ones SPIN's stored states (history model) equal unpack-race's distinct states on "
        f"{equal}. For a violation both searches stop at their first one, in their own order, so their "
        f"states (in brackets) are not compared. Times are CPU seconds, the median of {args.repeat} runs: "
        f"unpack-race's `api.check` (DFS with state caching, building the program included); SPIN's `./pan` "
        f"alone (per search), with its default hash table of 2^24 slots, which it clears first (128 MB: most of "
        f"its time here), and with `{SMALL_TABLE}`; and `spin -a -o2` + `gcc {OPT} -DSAFETY -DNOREDUCE` + `./pan` "
        f"(end to end). "
        f"'x' is unpack-race's time over SPIN's. 'SPIN (natural)' is the model without each pull's history "
        f"(HISTORY=0), whose states merge histories that end alike (docs/spin-crosscheck.md).",
        "",
        *table(rows),
        "",
    ]
    (out / f"{args.name}.md").write_text("\n".join(lines), encoding="utf-8")
    (out / f"{args.name}.json").write_text(json.dumps({"command": command, "rows": rows}, indent=1) + "\n",
                                            encoding="utf-8")
    print(f"wrote {out / args.name}.md and .json", file=sys.stderr)
    return 0 if agree == len(rows) and equal == passing else 1


if __name__ == "__main__":
    sys.exit(main())
