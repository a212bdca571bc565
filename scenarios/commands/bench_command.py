"""`unpack-race bench --out DIR`: measure every strategy on every program
(scenarios.bench); writes bench.md and bench.json into DIR, progress on stderr. Ctrl-C
(or SIGTERM) ends it: the rows finished are written, marked partial, and it exits 4.
With --json, stdout carries bench.json's document too (partial as the file is)."""

from __future__ import annotations

import argparse
import sys

from unpack_race.reports.bench_tables import bench_document, bench_markdown, partial_line, progress_line, written_line
from unpack_race.reports.documents import dumps
from unpack_race.scenarios import bench
from unpack_race.scenarios.api import Interrupted
from unpack_race.scenarios.commands.arguments import growth, output_directory, runs, seconds
from unpack_race.scenarios.commands.json_output import emit
from unpack_race.scenarios.interrupts import held
from unpack_race.scheduler.files import write_atomically


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("bench", help="measure the strategies; write bench.md and bench.json")
    p.add_argument("--out", type=output_directory, required=True, help="directory for bench.md and bench.json")
    p.add_argument("--seconds", type=seconds("--seconds"), default=120.0, help="budget of each exhaustive search")
    p.add_argument("--seeds", type=runs("--seeds"), default=20, help="seeds per sampling strategy (at least 1)")
    p.add_argument("--cap", type=runs("--cap"), default=1000, help="runs per seed of a sampling strategy")
    p.add_argument("--hypothesis-cap", type=runs("--hypothesis-cap"), default=100, help="examples per seed of the Hypothesis search")
    p.add_argument("--max-layers", type=growth("--max-layers", "layers"), default=5, help="growth table: layers 1..N")
    p.add_argument("--max-gc-runs", type=growth("--max-gc-runs", "gc-runs"), default=3, help="growth table: GC runs 1..N")
    p.add_argument("--only", nargs="*", default=(), metavar="PROGRAM",
                   help="only these programs (scenario names; default: all)")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    return p


def run(args: argparse.Namespace) -> int:
    settings = bench.settings(seconds=args.seconds, seeds=args.seeds, cap=args.cap, hypothesis_cap=args.hypothesis_cap,
                              max_layers=args.max_layers, max_gc_runs=args.max_gc_runs, only=args.only)
    command = ("unpack-race " + " ".join(sys.argv[1:]) if sys.argv and sys.argv[0].endswith("unpack-race")
               else "unpack-race bench")

    def log(event: str, row: dict) -> None:
        if not args.quiet:
            print(progress_line(event, row), file=sys.stderr, flush=True)

    stop = None
    try:
        data = bench.run(settings, log=log)
    except Interrupted as interrupted:  # the rows finished: written, marked partial
        data, stop = interrupted.partial, interrupted
    data["command"] = command
    document = bench_document(data, 4 if stop is not None else 0)
    with held(reraise=stop is None):  # both files are written whole, also on a second Ctrl-C
        write_atomically(args.out / "bench.json", dumps(document))
        write_atomically(args.out / "bench.md", bench_markdown(data, command))
        print(written_line(args.out, data["seconds"]))
        if stop is not None:
            print(partial_line(data))
        emit(args, document)
    if stop is not None:
        raise stop  # exit 4, with the one line (scenarios/cli.py)
    return 0
