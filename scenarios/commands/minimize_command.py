"""`unpack-race minimize FILE [--out DIR]`: the fewest steps, then the fewest preemptions
and actors, that still violate the same property. Prints the measures before and after
(and says so when the schedule is already minimal) and writes the minimised schedule,
FILE's name with .min.schedule.json (into --out, a directory like every command's, or a new
temporary directory; an already minimal one only with --out). Exit 0, or
2 when the file cannot be used. Ctrl-C (or SIGTERM) stops it: the smallest violating
schedule found so far is shown and written as above, and it exits 4. With --json, the
same as one JSON document on stdout (reports.minimize_text.minimize_document; marked
partial after Ctrl-C)."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from unpack_race.reports.minimize_text import minimize_document, minimize_lines
from unpack_race.reports.trace_text import schedule_written
from unpack_race.scenarios.api import Interrupted, minimize
from unpack_race.scenarios.commands.arguments import count, output_directory, writing_into
from unpack_race.scenarios.commands.json_output import emit
from unpack_race.scenarios.commands.options import add_scenario_option
from unpack_race.scenarios.api.minimizing import MAX_RUNS
from unpack_race.scenarios.interrupts import held


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("minimize", help="shrink a violating schedule: fewest steps, then fewest preemptions and actors")
    p.add_argument("file", type=Path)
    p.add_argument("--out", type=output_directory, default=None, metavar="DIR",
                   help="directory for the minimised schedule, FILE's name with .min.schedule.json "
                        "(default: a new temporary directory)")
    p.add_argument("--max-runs", type=count("--max-runs"), default=MAX_RUNS, metavar="N",
                   help="give up improving after N candidate runs (the result is still a violating schedule)")
    add_scenario_option(p)
    return p


def run(args: argparse.Namespace) -> int:
    stop = None
    try:
        m = minimize(args.file, max_runs=args.max_runs, scenario=args.scenario)
    except Interrupted as interrupted:  # the smallest violating schedule so far: shown, and written if smaller
        m, stop = interrupted.partial, interrupted
    with held(reraise=stop is None):
        for line in minimize_lines(m):
            print(line)
        written = None
        if m.improved or args.out is not None:
            directory = args.out if args.out is not None else Path(tempfile.mkdtemp(prefix="unpack-race-"))
            with writing_into(directory):
                written = m.schedule.save(directory / minimized_name(args.file))
            print(schedule_written(written, m.schedule.source))
        emit(args, minimize_document(m, str(written) if written is not None else None, 4 if stop is not None else 0))
    if stop is not None:
        raise stop  # exit 4, with the one line (scenarios/cli.py)
    return 0


def minimized_name(path: Path) -> str:
    """The name of the minimised schedule of `path`: its stem with .min.schedule.json."""
    return f"{stem(path)}.min.schedule.json"


def stem(path: Path) -> str:
    """The file name without its .schedule.json (or .json) suffix."""
    name = path.name
    for suffix in (".schedule.json", ".json"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name
