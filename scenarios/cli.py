"""The `unpack-race` command line: list, check, replay, compare, minimize, explain,
corpus and bench.

Exit codes (as model checkers users know): `check` exits with its verdict's code
(scheduler.verdict): 0 pass, 1 a property violated, 4 a budget ran out or the run was
interrupted before a verdict, 5 vacuous (a `sometimes` property never reached); 2 bad
usage or input, 3 internal error. `compare` exits 0 when every verdict is the expected
one, 1 when a verdict is not as expected, 4 when a budget ran out before a verdict
(and none was unexpected). `replay` exits 0 or 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from unpack_race import __version__
from unpack_race.model.variants import VARIANTS
from unpack_race.reports.result_text import summarize
from unpack_race.reports.table import markdown_table, text_table
from unpack_race.reports.trace_text import actor_outcomes, narrate_steps
from unpack_race.scenarios import bench, counterexamples, lint_command, regression_corpus
from unpack_race.scenarios.base import ParamError, Scenario
from unpack_race.scenarios.registry import CANONICAL, SCENARIOS, scenario as get_scenario
from unpack_race.scenarios.search_options import OptionError, add_strategy_options, run_search
from unpack_race.reports.claims import claim
from unpack_race.scheduler.explore import PASS, VIOLATION, Progress, PropertyScopeError, Result, explore
from unpack_race.scheduler.follow import checked, follow
from unpack_race.scheduler.verdict import Verdict
from unpack_race.scheduler.schedule import Schedule, ScheduledStep, ScheduleError, write_atomically
from unpack_race.scheduler.strategies import Replay, ReplayDivergence

EXIT_OK, EXIT_VIOLATION, EXIT_USAGE, EXIT_INTERNAL, EXIT_BUDGET = 0, 1, 2, 3, 4


class UsageError(Exception):
    """Bad usage or input: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would exit 2 with usage; keep it one line
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def _all_params():
    seen = {}
    for sc in SCENARIOS.values():
        for p in sc.params:
            seen.setdefault(p.name, p)
    return list(seen.values())


def _add_param_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("scenario parameters (defaults: see `unpack-race list`)")
    for p in _all_params():
        flag = "--" + p.name.replace("_", "-")
        if isinstance(p.default, bool):
            group.add_argument(flag, dest=p.name, action=argparse.BooleanOptionalAction, default=None, help=p.help)
        elif isinstance(p.default, int):
            group.add_argument(flag, dest=p.name, type=int, default=None, metavar="N", help=p.help)
        else:
            group.add_argument(flag, dest=p.name, choices=p.choices or None, default=None, help=p.help)


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {p.name: getattr(args, p.name) for p in _all_params() if getattr(args, p.name, None) is not None}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="unpack-race", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"unpack-race {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    sub.add_parser("list", help="scenarios, variants and parameters")

    check = sub.add_parser("check", help="explore one scenario under one variant")
    check.add_argument("scenario", help="scenario name (see `unpack-race list`)")
    check.add_argument("--variant", required=True, help="code variant (see `unpack-race list`)")
    check.add_argument("--out", type=Path, default=None,
                       help="directory for the counterexample schedule (default: a new temporary directory)")
    _add_param_options(check)
    add_strategy_options(check)

    replay = sub.add_parser("replay", help="replay a schedule file")
    replay.add_argument("file", type=Path)
    replay.add_argument("--variant", default=None, help="replay under another variant")
    replay.add_argument("--all-variants", action="store_true", help=counterexamples.RESYNC_HELP)

    compare = sub.add_parser("compare", help="the four variants side by side (the main job)")
    compare.add_argument("--scenario", default=CANONICAL)
    compare.add_argument("--out", type=Path, default=None,
                         help="also write compare.md, compare.json and the counterexamples here")
    _add_param_options(compare)
    add_strategy_options(compare, choose=False)

    counterexamples.add_minimize_parser(sub)
    counterexamples.add_explain_parser(sub)
    regression_corpus.add_corpus_parser(sub)
    bench.add_bench_parser(sub)
    lint_command.add_parser(sub)
    return parser


# -- commands ---------------------------------------------------------------------------
def cmd_list(args: argparse.Namespace) -> int:
    for sc in SCENARIOS.values():
        print(f"scenario {sc.name}: {sc.summary}")
        print("  parameters:" if sc.params else "  parameters: none")
        for p in sc.params:
            print(f"    {p.describe()}")
        print("  variants, and the verdict expected with default parameters:")
        known = {v.name: v for v in VARIANTS}
        for name in sc.variants:
            expect = sc.expected(name, {})
            verdict = expect.verdict.value + (f" ({expect.property})" if expect.property else "")
            v = known.get(name)
            print(f"    {name:<28} {verdict:<30} {'containerd ' + v.releases if v else ''}".rstrip())
            print(f"    {'':<28} {v.summary if v else expect.why}")
    return EXIT_OK


def _progress_printer(quiet: bool, label: str):
    if quiet:
        return None

    def show(p: Progress) -> None:
        states = f", {p.states:,} states" if p.states is not None else ""
        rate = p.steps / p.elapsed if p.elapsed else 0
        print(f"  [{label}] {p.executions:,} executions{states}, {rate:,.0f} steps/s, {p.elapsed:.0f} s",
              file=sys.stderr, flush=True)

    return show


def _run(sc: Scenario, variant: str, params: dict[str, Any], args) -> tuple[Result, Any]:
    built = sc.build(variant, params)
    return run_search(built, args, _progress_printer(args.quiet, variant)), built


def _write_counterexample(sc: Scenario, variant: str, params, result: Result, out: Path | None) -> Path:
    directory = out if out is not None else Path(tempfile.mkdtemp(prefix="unpack-race-"))
    schedule = Schedule.of(sc.name, variant, params, result.counterexample)
    return schedule.save(directory / f"{sc.name}.{variant}.schedule.json")


def _story(built, steps, result: Result) -> str:
    execution = follow(built.program, tuple(ScheduledStep.of(s) for s in steps), finish=True)
    return (
        f"Counterexample, {len(steps)} steps:\n{narrate_steps(steps, result.violation)}\n"
        f"How each actor ends if the run goes on (first runnable actor first; not part of the counterexample):\n"
        f"{actor_outcomes(execution)}"
    )


def cmd_check(args: argparse.Namespace) -> int:
    sc = get_scenario(args.scenario)
    sc.check_variant(args.variant)
    params = sc.resolve(_overrides(args))
    result, built = _run(sc, args.variant, params, args)
    if result.verdict == VIOLATION:
        print(_story(built, result.counterexample, result))
        path = _write_counterexample(sc, args.variant, params, result, args.out)
        print(f"Schedule written to {path}\n  replay it: unpack-race replay {path}")
    print(summarize(result))
    if result.verdict == PASS and built.why_safe():
        print(built.why_safe())
    return result.verdict.exit_code


def cmd_replay(args: argparse.Namespace) -> int:
    schedule = Schedule.load(args.file)
    try:
        sc = get_scenario(schedule.scenario)
        variant = sc.check_variant(args.variant or schedule.variant)
        params = sc.resolve(schedule.params)
    except ParamError as err:
        raise UsageError(f"{args.file}: {err}") from None
    built = sc.build(variant, params)
    try:
        result = explore(built.program, Replay(schedule.steps), checked(built.properties), bounds=built.bounds)
    except ReplayDivergence as err:
        raise UsageError(f"{args.file}: under variant {variant}, {err}") from None
    print(f"Replaying {args.file} ({len(schedule.steps)} steps) under variant {variant}, {built.bounds}")
    steps = result.run.steps
    print(narrate_steps(steps, result.violation))
    if result.violation is not None:
        print(f"VIOLATION: {result.violation.message}")
        return EXIT_VIOLATION
    print(f"no violation in the {len(steps)} replayed steps")
    return EXIT_OK


def cmd_compare(args: argparse.Namespace) -> int:
    sc = get_scenario(args.scenario)
    params = sc.resolve(_overrides(args))
    header = ("variant", "verdict", "expected", "property violated",
              "executions", "states", "counterexample steps", "time")
    rows, records, all_expected, why_safe = [], [], True, {}
    print(f"{sc.name}: {sc.build(sc.variants[0], params).bounds}; strategy: "
          f"{'stateful DFS' if args.state_caching else 'DFS without state caching'}, stop at the first violation")
    for variant in sc.variants:
        releases = {x.name: x.releases for x in VARIANTS}.get(variant, "-")
        started = time.monotonic()
        result, built = _run(sc, variant, params, args)
        elapsed = time.monotonic() - started
        expect = sc.expected(variant, params)
        prop = result.violation.property if result.violation else "-"
        as_expected = result.verdict == expect.verdict and (expect.property is None or prop == expect.property)
        all_expected &= as_expected
        length = len(result.counterexample) if result.counterexample else "-"
        states = result.states if result.states is not None else "-"
        rows.append((variant, result.verdict.value, expect.verdict.value + ("" if as_expected else "  <-- NOT AS EXPECTED"),
                     prop, result.executions, states, length, f"{elapsed:.2f} s"))
        record = {"variant": variant, "releases": releases, "verdict": result.verdict.value,
                  "expected": expect.verdict.value, "as_expected": as_expected, "property": result.violation.property if result.violation else None,
                  "executions": result.executions, "states": result.states, "steps": result.steps,
                  "counterexample_steps": len(result.counterexample) or None,
                  "seconds": round(elapsed, 3), "claim": claim(result)}
        if result.verdict == PASS and built.unreachable:
            record["not_sought"] = [{"property": u.property, "why": u.why} for u in built.unreachable]
            why_safe.setdefault(built.why_safe(), []).append(variant)
        if result.violation is not None:
            record["message"] = result.violation.message
            if args.out is not None:
                record["schedule"] = str(_write_counterexample(sc, variant, params, result, args.out))
        records.append(record)
    print(text_table(header, rows))
    print()
    for record in records:
        origin = f" (containerd {record['releases']})" if record["releases"] != "-" else ""
        print(f"- {record['variant']}{origin}:\n    {record['claim']}")
        if "message" in record:
            print(f"    {record['message']}")
    print()
    for text, names in why_safe.items():  # once for the variants that share it
        print(text if len(names) == len(sc.variants) else f"{', '.join(names)}:\n{text}")
        print()
    safe = [r["variant"] for r in records if r["verdict"] == PASS.value] or ["none"]
    wrong = [r["variant"] for r in records if not r["as_expected"] and Verdict(r["verdict"]).decided]
    undecided = [r["variant"] for r in records if not Verdict(r["verdict"]).decided]
    verdict = ("every verdict is the expected one" if all_expected else "SOME VERDICTS ARE NOT AS EXPECTED" if wrong
               else f"NO VERDICT (budget ran out or interrupted) for {', '.join(undecided)}"
               + ("; the others are as expected" if len(undecided) < len(records) else ""))
    print(f"{verdict}; no violation within these bounds: {', '.join(safe)}")
    if args.out is not None:
        write_atomically(args.out / "compare.md", markdown_table(header, rows) + "\n")
        write_atomically(args.out / "compare.json", json.dumps(
            {"scenario": sc.name, "params": params, "rows": records, "all_as_expected": all_expected}, indent=1) + "\n")
        print(f"wrote {args.out / 'compare.md'} and {args.out / 'compare.json'}")
    # a verdict that contradicts its expectation is a finding (1); otherwise, if not all
    # are as expected, some search ran out of budget or was interrupted first (4)
    return EXIT_OK if all_expected else EXIT_VIOLATION if wrong else EXIT_BUDGET


COMMANDS = {"list": cmd_list, "check": cmd_check, "compare": cmd_compare,
            "replay": lambda args: (counterexamples.cmd_replay_all if args.all_variants else cmd_replay)(args),
            "minimize": counterexamples.cmd_minimize, "explain": counterexamples.cmd_explain,
            "corpus": regression_corpus.cmd_corpus, "bench": bench.cmd_bench, "lint": lint_command.run}


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except (UsageError, ParamError, ScheduleError, OptionError, PropertyScopeError) as err:
        print(f"unpack-race: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("unpack-race: interrupted", file=sys.stderr)
        return EXIT_BUDGET
    except BrokenPipeError:
        return EXIT_OK
    except Exception as err:  # noqa: BLE001 - the last line of defence: one line, exit 3
        import traceback
        where = traceback.extract_tb(err.__traceback__)[-1]
        print(f"unpack-race: internal error: {type(err).__name__}: {err} "
              f"(at {Path(where.filename).name}:{where.lineno}); this is a bug in unpack-race, "
              f"please report it with the command line you ran", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
