"""`unpack-race bench --out DIR`: measure every strategy on every program
(scenarios.bench); writes bench.md and bench.json into DIR, and at the end its plots
beside them (growth-layers, growth-gc-runs, sampling: SVG and PNG, shown in bench.md), progress on stderr (a line per
row, with how far the bench has come). Both files are rewritten after each row, marked
partial, so that a bench stopped in any way, even killed outright, keeps every row it
measured; at the end, the whole document. Ctrl-C (or SIGTERM) ends it: the rows finished
are written, marked partial, and it exits 4. With --json, stdout carries bench.json's
document too (partial as the file is)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import attrs
from unpack_race.reports.bench_tables import (
    bench_document,
    bench_markdown,
    partial_line,
    progress_line,
    rows_text,
    written_line,
)
from unpack_race.reports.documents import dumps
from unpack_race.scenarios import bench
from unpack_race.scenarios.api import Interrupted
from unpack_race.scenarios.commands.arguments import growth, output_directory, point, runs, seconds, writing_into
from unpack_race.scenarios.commands.json_output import emit
from unpack_race.scenarios.commands.progress import showing
from unpack_race.scenarios.interrupts import held
from unpack_race.scheduler.files import write_atomically


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("bench", help="measure the strategies; write bench.md and bench.json")
    p.add_argument("--out", type=output_directory, required=True, metavar="DIR",
                   help="directory for bench.md and bench.json (rewritten after each row)")
    p.add_argument("--seconds", type=seconds("--seconds"), default=120.0, help="budget of each exhaustive search")
    p.add_argument("--seeds", type=runs("--seeds"), default=20, help="seeds per sampling strategy (at least 1)")
    p.add_argument("--cap", type=runs("--cap"), default=1000, help="runs per seed of a sampling strategy")
    p.add_argument("--hypothesis-cap", type=runs("--hypothesis-cap"), default=100,
                   help="examples per seed of the Hypothesis search")
    p.add_argument("--max-layers", type=growth("--max-layers", "layers"), default=5, help="growth table: layers 1..N")
    p.add_argument("--max-gc-runs", type=growth("--max-gc-runs", "gc-runs"), default=3,
                   help="growth table: GC runs 1..N")
    p.add_argument("--only", nargs="*", default=(), metavar="PROGRAM",
                   help="only these programs (scenario names; default: all)")
    p.add_argument("--sections", nargs="+", choices=bench.SECTIONS, default=list(bench.SECTIONS), metavar="SECTION",
                   help=f"measure only these tables, of {', '.join(bench.SECTIONS)} (default: all)")
    p.add_argument("--estimate-probes", type=runs("--estimate-probes"), default=bench.bench_estimate.PROBES,
                   help="probes of the estimate made before each search with an estimate rule")
    p.add_argument("--large-point", type=point("--large-point"), nargs="*", default=[(8, 5)], metavar="L/G",
                   help="growth table: these points too (layers/GC runs), under prepare-with-lease only "
                        "(default 8/5; none: give the flag alone)")
    p.add_argument("--parallel-point", type=point("--parallel-point"), default=(6, 3), metavar="L/G",
                   help="parallel section: retry-after-cancel prepare-with-lease at these layers/GC runs (default "
                        "6/3, about 30 s of serial BFS)")
    p.add_argument("--parallel-repeat", type=runs("--parallel-repeat"), default=3,
                   help="parallel section: runs of each configuration (the median is reported)")
    p.add_argument("--parallel-seconds", type=seconds("--parallel-seconds"), default=600.0,
                   help="parallel section: budget of each search (its serial BFS should take 30 s or more, "
                        "so not --seconds)")
    return p


def write(directory: Path, data: dict[str, Any], command: str, exit_code: int, plots: bool = False) -> dict[str, Any]:
    """bench.json and bench.md of `data` in `directory`, each atomically, and with `plots`
    the plots beside them (reports/figures/bench_plots.py), which bench.md then shows;
    bench.json's document."""
    document = bench_document({**data, "command": command}, exit_code)
    with writing_into(directory):
        drawn = []
        if plots:
            # matplotlib only here: not when any command starts, and not in the files kept
            # after each row, where a Ctrl-C could land inside its import and leave it half
            # imported (the final write, which draws, runs with the signals held)
            from unpack_race.reports.figures.bench_plots import save_bench_plots

            drawn = [path.name for path in save_bench_plots(data, directory)]
        write_atomically(directory / "bench.json", dumps(document))
        write_atomically(directory / "bench.md", bench_markdown(data, command, drawn))
    return document


def run(args: argparse.Namespace) -> int:
    settings = bench.settings(seconds=args.seconds, seeds=args.seeds, cap=args.cap, hypothesis_cap=args.hypothesis_cap,
                              max_layers=args.max_layers, max_gc_runs=args.max_gc_runs, only=args.only,
                              sections=args.sections, estimate_probes=args.estimate_probes,
                              large_points=args.large_point, parallel_point=args.parallel_point,
                              parallel_repeat=args.parallel_repeat, parallel_seconds=args.parallel_seconds)
    command = ("unpack-race " + " ".join(sys.argv[1:]) if sys.argv and sys.argv[0].endswith("unpack-race")
               else "unpack-race bench")
    started, planned, done = time.monotonic(), 0, 0
    stop = None
    with showing(args) as shown:
        given = ", ".join(f"{name.replace('_', '-')} {value}" for name, value in attrs.asdict(settings).items())
        shown.detail(f"  bench: {given}; writing into {args.out}")

        def log(event: str, row: dict) -> None:
            nonlocal planned, done
            if event == "programs":
                planned = row["rows"]
            else:
                done += 1
            if not shown.quiet:
                line = progress_line(event, row)
                shown.line(line if event == "programs" else line + rows_text(done, planned, time.monotonic() - started))

        try:
            data = bench.run(settings, log=log, keep=lambda so_far: write(args.out, so_far, command, 4))
        except Interrupted as interrupted:  # the rows finished: written, marked partial
            data, stop = interrupted.partial, interrupted
    with held(reraise=stop is None):  # both files are written whole, also on a second Ctrl-C
        document = write(args.out, data, command, 4 if stop is not None else 0, plots=True)
        print(written_line(args.out, data["seconds"]))
        if stop is not None:
            print(partial_line(data))
        emit(args, document)
    if stop is not None:
        raise stop  # exit 4, with the one line (scenarios/cli.py)
    return 0
