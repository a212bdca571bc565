"""`unpack-race check SCENARIO [--variant V]`: explore one variant of a built-in scenario,
or of one of the user's own, named `FILE.py:NAME` or `MODULE:NAME`
(scenarios/user_scenarios.py); `--variant` may be left out when the scenario has only
one, as the classics do. On a violation, print the narrated counterexample and how each
actor ends, and write its schedule (into --out, or a new temporary directory; it records
where a user's scenario is defined, and the replay command printed names it); then what
the search proved or found, and on a pass why the race cannot occur, where the scenario
says so; with --report, a violation's HTML report too, beside its schedule (as
report_command writes it). Exit with the verdict's code: 0 pass, 1 violation, 4 budget
or Ctrl-C (or SIGTERM) before a verdict, 5 vacuous; on Ctrl-C it prints what the search covered so far.
With --json, stdout carries the result as one JSON document
(reports.result_text.check_document), the text goes to stderr. With --checkpoint FILE
the search saves its state as it goes and on Ctrl-C, and --resume FILE goes on from it
(scenarios/commands/checkpoints.py)."""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from pathlib import Path

from unpack_race.reports.result_text import check_document, summarize, why_safe_text
from unpack_race.reports.trace_text import counterexample_text, schedule_written
from unpack_race.scenarios.api import Interrupted, check
from unpack_race.scenarios.api.reporting import report
from unpack_race.scenarios.commands.arguments import output_directory, writing_into
from unpack_race.scenarios.commands.checkpoints import add_checkpoint_options, prepare
from unpack_race.scenarios.commands.colour import print_result
from unpack_race.scenarios.commands.json_output import emit
from unpack_race.scenarios.commands.options import (
    add_estimate_options,
    add_parallel_options,
    add_param_options,
    add_strategy_options,
    estimate_probes,
    overrides,
    search_progress,
    search_settings,
)
from unpack_race.scenarios.commands.minimize_command import stem
from unpack_race.scenarios.commands.progress import Display, display, showing
from unpack_race.reports.estimate_text import estimate_outcome
from unpack_race.scheduler.explore import Result
from unpack_race.scenarios.commands.report_command import write_page
from unpack_race.scenarios.interrupts import held
from unpack_race.scheduler.verdict import Verdict


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("check", help="explore one scenario under one variant")
    p.add_argument("scenario", help="a scenario name (see `unpack-race list`), or one of your own: FILE.py:NAME or MODULE:NAME")
    p.add_argument("--variant", default=None,
                   help="code variant (see `unpack-race list`); needed only when the scenario has several")
    p.add_argument("--out", type=output_directory, default=None,
                   help="directory for the counterexample schedule (default: a new temporary directory)")
    p.add_argument("--report", action="store_true",
                   help="on a violation, also write the counterexample's HTML report beside its schedule "
                        "(as `unpack-race report` does)")
    add_param_options(p)
    add_strategy_options(p)
    add_checkpoint_options(p)
    add_estimate_options(p)
    add_parallel_options(p)
    return p


def outcome(shown: Display, result: Result) -> None:
    """After the search, on stderr: how far the estimate made before it was off."""
    if result.estimate is not None:
        shown.line(estimate_outcome(result.estimate, result.executions, result.coverage.complete,
                                    result.coverage.finished))


def run(args: argparse.Namespace) -> int:
    strategy, budget, options = search_settings(args)
    saving = prepare(args, strategy, options)  # a --resume that does not fit is refused before any search
    try:
        with showing(args) as shown, saving.searching() if saving is not None else contextlib.nullcontext():
            show = search_progress(shown, strategy, budget, options)
            label = args.variant or args.scenario  # a one-variant scenario needs no --variant
            checked = check(args.scenario, args.variant, params=overrides(args), strategy=strategy, budget=budget,
                            progress=(lambda p: show(label, p)) if show is not None else None,
                            estimate_probes=estimate_probes(args, strategy, options),
                            on_estimate=show.estimated if show is not None else None,
                            workers=args.workers, dask=args.dask,
                            **(saving.search_options() if saving is not None else {}), **options)
            outcome(shown, checked.result)
    except Interrupted as stop:  # what the search covered, then exit 4 (scenarios/cli.py)
        with held(reraise=False):
            outcome(display(args), stop.partial.result)
            print_result(args, summarize(stop.partial.result))
            emit(args, check_document(stop.partial, strategy, partial="interrupted before a verdict"))
            if saving is not None:
                print(saving.stopped_text(), file=sys.stderr)
        raise
    cx = checked.counterexample
    written = page = None
    if cx is not None:
        print(counterexample_text(cx.steps, cx.violation, cx.continuation))
        directory = args.out if args.out is not None else Path(tempfile.mkdtemp(prefix="unpack-race-"))
        with held(), writing_into(directory):
            written = cx.schedule.save(directory / cx.filename)
            print(schedule_written(written, cx.schedule.source))
        if args.report:
            page, size = write_page(report(cx), directory, stem(written))
            print(f"report written: {page} ({size} bytes)")
    print_result(args, summarize(checked.result))
    if saving is not None and checked.verdict is Verdict.BUDGET:
        print(saving.stopped_text(), file=sys.stderr)
    safe = why_safe_text(checked.why_safe)
    if safe is not None:
        print(safe)
    emit(args, check_document(checked, strategy, schedule=str(written) if written is not None else None,
                              report=str(page) if page is not None else None))
    return checked.verdict.exit_code
