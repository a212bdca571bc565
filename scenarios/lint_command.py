"""`unpack-race lint SCENARIO [--variant V] [parameters] [--max-states N]`: the engine's
soundness self-check (scheduler.lint) on a scenario, every variant unless one is named.

Exit codes: 0 clean (every reachable state within the bounds checked), 1 findings
(each printed with the offending steps and the run reaching the state, in the model's
words), 2 bad usage, 4 no finding but the state budget ran out before every reachable
state was checked.
"""

from __future__ import annotations

import argparse

from unpack_race.reports.lint_text import render
from unpack_race.scenarios.registry import scenario as get_scenario
from unpack_race.scenarios.search_options import OptionError
from unpack_race.scheduler.lint import DEFAULT_MAX_STATES, lint

EXIT_OK, EXIT_FINDINGS, EXIT_BUDGET = 0, 1, 4


def add_parser(sub) -> argparse.ArgumentParser:
    # the scenario parameter options are the CLI's own, shared by every command
    from unpack_race.scenarios.cli import _add_param_options

    parser = sub.add_parser(
        "lint", help="check the model's footprints, fingerprint and outcome keys (exit 1 on a finding)",
        description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", help="scenario name (see `unpack-race list`)")
    parser.add_argument("--variant", default=None, help="one code variant (default: every variant)")
    parser.add_argument("--max-states", type=int, default=DEFAULT_MAX_STATES, metavar="N",
                        help=f"stop after N distinct states (default {DEFAULT_MAX_STATES:,}; exit 4 if "
                             f"they were not all)")
    _add_param_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    from unpack_race.scenarios.cli import _overrides

    if args.max_states < 1:
        raise OptionError(f"--max-states must be at least 1, got {args.max_states}")
    sc = get_scenario(args.scenario)
    variants = [sc.check_variant(args.variant)] if args.variant is not None else list(sc.variants)
    params = sc.resolve(_overrides(args))
    found = incomplete = False
    for index, variant in enumerate(variants):
        built = sc.build(variant, params)
        report = lint(built.program, built.properties, max_states=args.max_states)
        if index:
            print()
        print(render(report, f"{sc.name} [{variant}] ({built.bounds})"))
        found |= not report.clean
        incomplete |= not report.coverage.complete
    if found:
        return EXIT_FINDINGS
    if incomplete:
        print(f"\nno finding, but not every reachable state was checked: raise --max-states (now "
              f"{args.max_states:,}) or lower the scenario's bounds")
        return EXIT_BUDGET
    return EXIT_OK
