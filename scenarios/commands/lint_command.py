"""`unpack-race lint SCENARIO [--variant V] [parameters] [--max-states N]`: the engine's
soundness self-check (scheduler.lint) on a scenario, every variant unless one is named.

Exit codes: 0 clean (every reachable state within the bounds checked), 1 findings
(each printed with the offending steps and the run reaching the state, in the model's
words), 2 bad usage, 4 no finding but the state budget ran out before every reachable
state was checked, or on Ctrl-C (or SIGTERM), after the variants linted so far. With
--json, the reports as one JSON document on stdout (reports.lint_text.lint_document).
"""

from __future__ import annotations

import argparse
import time

from unpack_race.reports.lint_text import incomplete_text, interrupted_text, lint_document, linting_line, render
from unpack_race.scenarios.api import Interrupted, lint
from unpack_race.scenarios.commands.arguments import count
from unpack_race.scenarios.commands.json_output import emit
from unpack_race.scenarios.commands.options import add_param_options, overrides
from unpack_race.scenarios.commands.progress import showing
from unpack_race.scenarios.interrupts import held
from unpack_race.scheduler.lint import DEFAULT_MAX_STATES

EXIT_OK, EXIT_FINDINGS, EXIT_BUDGET = 0, 1, 4


def add_parser(sub) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "lint", help="check the model's footprints, fingerprint and outcome keys (exit 1 on a finding)",
        description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", help="a scenario name (see `unpack-race list`), or one of your own: FILE.py:NAME or MODULE:NAME")
    parser.add_argument("--variant", default=None, help="one code variant (default: every variant)")
    parser.add_argument("--max-states", type=count("--max-states"), default=DEFAULT_MAX_STATES, metavar="N",
                        help=f"stop after N distinct states (default {DEFAULT_MAX_STATES:,}; exit 4 if "
                             f"they were not all)")
    add_param_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    try:
        with showing(args) as shown:
            linted = lint(args.scenario, variant=args.variant, params=overrides(args), max_states=args.max_states,
                          progress=lambda variant, done, count: shown.line(
                              linting_line(variant, done, count, time.monotonic() - started)))
    except Interrupted as stop:  # the variants linted so far, then exit 4 (scenarios/cli.py)
        so_far = stop.partial
        with held(reraise=False):
            for x in so_far.linted:
                print(render(x.report, f"{x.scenario} [{x.variant}] ({x.built.bounds})") + "\n")
            print(interrupted_text(args.scenario, so_far.interrupted, len(so_far.linted), len(so_far.variants)))
            emit(args, lint_document(args.scenario, so_far.linted, so_far.variants, EXIT_BUDGET, so_far.interrupted))
        raise
    print("\n\n".join(render(x.report, f"{x.scenario} [{x.variant}] ({x.built.bounds})") for x in linted))
    code = EXIT_OK
    if any(not x.report.clean for x in linted):
        code = EXIT_FINDINGS
    elif any(not x.report.coverage.complete for x in linted):
        print(incomplete_text(args.max_states))
        code = EXIT_BUDGET
    emit(args, lint_document(args.scenario, linted, [x.variant for x in linted], code))
    return code
