"""`unpack-race draw FILE --swimlane|--happens-before|--state-graph|--bench --out DIR`: pictures,
as SVG and PNG (reports/figures), and for the graphs DOT and GraphML beside them:
- `--swimlane`: a lane per actor, a box per step in the model's words, failed and
  violating steps marked, the racing pair and its happens-before path, cancellations and
  lease deletions on the time line (FILE: a schedule; refused past 400 steps);

- `--happens-before`: the transitive reduction of a schedule's happens-before graph, a
  lane per actor, the racing pair and the violating step highlighted (FILE: a schedule);
- `--state-graph`: every state of the schedule's program and the steps between them,
  the schedule's path highlighted; refused (exit 2) past `--max-states` states, saying
  which bounds to lower (FILE: a schedule);
- `--bench`: the growth and sampling plots of a bench document (FILE: a bench.json).

Files are named after FILE (`NAME.happens-before.svg`, ...; the bench's plots keep their
own names, growth-layers.svg, ...). With --json, a document listing the files written.
Exit 0, or 2 for input that cannot be used.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from unpack_race.reports.documents import document
from unpack_race.reports.figures.limits import MAX_STATES
from unpack_race.scenarios.base import ParamError
from unpack_race.scenarios.commands.arguments import count, output_directory, writing_into
from unpack_race.scenarios.commands.json_output import emit
from unpack_race.scenarios.commands.options import add_scenario_option
from unpack_race.scheduler.echo import echo, echo_path
from unpack_race.scheduler.schedule import ScheduleError, parse_json, read_text_file

SWIMLANE, HAPPENS_BEFORE, STATE_GRAPH, BENCH = "swimlane", "happens-before", "state-graph", "bench"
BENCH_FORMAT = "unpack-race.bench"


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("draw", help="draw a schedule's happens-before graph or state graph, or a bench's plots")
    p.add_argument("file", type=Path, help="a schedule file (a bench.json with --bench)")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--swimlane", dest="figure", action="store_const", const=SWIMLANE,
                      help="a lane per actor, a box per step, the racing pair and its happens-before path: SVG, PNG")
    what.add_argument("--happens-before", dest="figure", action="store_const", const=HAPPENS_BEFORE,
                      help="the happens-before graph (transitively reduced): SVG, PNG, DOT, GraphML")
    what.add_argument("--state-graph", dest="figure", action="store_const", const=STATE_GRAPH,
                      help="the state graph of the schedule's program, its path highlighted: SVG, PNG, DOT, GraphML")
    what.add_argument("--bench", dest="figure", action="store_const", const=BENCH,
                      help="the growth and sampling plots of a bench document (bench.json): SVG, PNG")
    p.add_argument("--out", type=output_directory, required=True, metavar="DIR", help="directory for the files")
    p.add_argument("--max-states", type=count("--max-states"), default=MAX_STATES, metavar="N",
                   help=f"--state-graph: the most states drawn (default {MAX_STATES:,}; beyond: exit 2)")
    add_scenario_option(p)
    return p


def stem_of(path: Path) -> str:
    """The name the files are written under: FILE's name without .schedule.json (or .json)."""
    name = path.name
    for suffix in (".schedule.json", ".json"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name.removesuffix(suffix)
    return name


def bench_data(path: Path) -> dict[str, Any]:
    """A bench document read from `path` (a regular file, its size and nesting bounded as a
    schedule's are); ParamError, in one line, when it is not one."""
    try:
        data = parse_json(read_text_file(path, "bench document"), echo_path(path))
    except ScheduleError as err:
        raise ParamError(f"{err}; expected the bench.json `unpack-race bench` writes") from None
    found = data.get("format") if isinstance(data, dict) else None
    if found != BENCH_FORMAT or not all(isinstance(data.get(t), list) for t in ("growth", "sampling")):
        raise ParamError(f"{echo_path(path)}: field format: expected {BENCH_FORMAT!r} with its growth and sampling "
                         f"tables (the bench.json `unpack-race bench` writes), got {echo(found)}")
    return data


def _swimlane(args: argparse.Namespace, stem: Path) -> tuple[list[Path], Any]:
    """The schedule's swimlane, as the report draws it (its racing pair and path, the
    violating step, cancellations and lease deletions on the time line)."""
    from unpack_race.reports.figures.saving import save_figure
    from unpack_race.reports.figures.swimlane import TooLargeToDraw
    from unpack_race.reports.html_report import report_swimlane
    from unpack_race.scenarios.api.reporting import report

    reported = report(args.file, scenario=args.scenario)
    try:
        figure = report_swimlane(reported)
    except TooLargeToDraw as err:
        raise ParamError(f"{echo_path(args.file)}: {err}; `unpack-race report` steps through a run of any length") \
            from None
    with writing_into(args.out):
        return save_figure(figure, stem), reported


def run(args: argparse.Namespace) -> int:
    # the figures' modules import matplotlib (about 0.7 s): here, not when any command starts
    from unpack_race.reports.figures.bench_plots import save_bench_plots
    from unpack_race.reports.figures.happens_before import save_happens_before
    from unpack_race.reports.figures.state_graph import save_state_graph
    from unpack_race.scenarios.api.drawing import happens_before_run, state_graph_of

    stem = args.out / f"{stem_of(args.file)}.{args.figure}"
    about: dict[str, Any] = {"scenario": None, "variant": None}
    if args.figure == SWIMLANE:
        written, reported = _swimlane(args, stem)
        about = {"scenario": reported.loaded.scenario.name, "variant": reported.loaded.variant}
    elif args.figure == BENCH:
        data = bench_data(args.file)
        with writing_into(args.out):
            written = save_bench_plots(data, args.out)
    elif args.figure == HAPPENS_BEFORE:
        drawn = happens_before_run(args.file, scenario=args.scenario)
        title = f"happens-before: {drawn.loaded.where}"
        with writing_into(args.out):
            written = save_happens_before(drawn.steps, stem, drawn.racing, drawn.violating, title)
        about = {"scenario": drawn.loaded.scenario.name, "variant": drawn.loaded.variant}
    else:
        drawn = state_graph_of(args.file, args.max_states, scenario=args.scenario)
        title = f"state graph: {drawn.loaded.where}: {drawn.graph.states:,} states, {drawn.graph.transitions:,} steps"
        with writing_into(args.out):
            written = save_state_graph(drawn.graph, stem, drawn.path, drawn.violating, title)
        about = {"scenario": drawn.loaded.scenario.name, "variant": drawn.loaded.variant}
    for path in written:
        print(f"wrote {path}")
    emit(args, document("draw", 0, {"file": str(args.file), "figure": args.figure, **about,
                                    "files": [str(path) for path in written]}))
    return 0
