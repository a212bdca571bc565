"""Commands that make a counterexample usable: `minimize`, `explain` and
`replay --all-variants` (registered in scenarios/cli.py).

- minimize FILE [--out FILE2]: the fewest steps, then the fewest preemptions and actors
  (scheduler.minimize); prints the measures before and after, and says so when the
  schedule is already minimal. Exit 0, or 2 when the file cannot be used.
- explain FILE [--json]: the happens-before graph, the racing pair, the window and the
  counterfactuals (scheduler.explain), with the story of issue 3787 in containerd's
  words when the run has its shape (scenarios.issue_3787). Exit 0, or 2.
- replay FILE --all-variants: the schedule followed under every variant of its scenario
  with the RESYNC policy of scheduler.follow; for each, the verdict, where the variant's
  code first takes another path and what it does instead. Exit 0 when no variant
  violates a property, or, for a file with an `expect` object, when every verdict is the
  expected one; 1 otherwise (also when a variant cannot follow the schedule at all); 2
  when the file cannot be used.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from unpack_race.reports.explain_text import explanation_data, explanation_lines
from unpack_race.reports.replay_text import cannot_follow, followed_lines, verdict_line
from unpack_race.reports.trace_text import narrate_steps
from unpack_race.scenarios.base import Built, ParamError, Scenario
from unpack_race.scenarios.issue_3787 import story
from unpack_race.scenarios.registry import scenario as get_scenario
from unpack_race.scheduler.explain import explain
from unpack_race.scheduler.follow import RESYNC, Followed, follow, follow_schedule
from unpack_race.scheduler.minimize import NotAViolation, minimize
from unpack_race.scheduler.schedule import Schedule, ScheduledStep, ScheduleError
from unpack_race.scheduler.strategies.replay import ReplayDivergence

EXIT_OK, EXIT_VIOLATION = 0, 1

RESYNC_HELP = (
    "follow the schedule under every variant of its scenario; where a variant's code takes "
    "another path, a scheduled step of an actor whose next effect comes later in the schedule "
    "is skipped, and one whose code does something else keeps its turn and does that"
)


@attrs.frozen
class Loaded:
    path: Path
    schedule: Schedule
    scenario: Scenario
    variant: str
    params: dict[str, Any]
    built: Built

    @property
    def where(self) -> str:
        return f"{self.scenario.name}, variant {self.variant}, {self.built.bounds}"


def load(path: Path, variant: str | None = None) -> Loaded:
    """Read a schedule file and build its program; every problem is one line (exit 2)."""
    schedule = Schedule.load(path)
    try:
        sc = get_scenario(schedule.scenario)
        chosen = sc.check_variant(variant or schedule.variant)
        params = sc.resolve(schedule.params)
    except ParamError as err:
        raise ScheduleError(f"{path}: {err}") from None
    built = sc.build(chosen, params)
    schedule.check_names(built.program.actor_names(), str(path))
    return Loaded(path, schedule, sc, chosen, params, built)


def _replayable(loaded: Loaded, what: str):
    try:
        return follow(loaded.built.program, loaded.schedule.steps).steps
    except ReplayDivergence as err:
        raise ScheduleError(
            f"{loaded.path}: under variant {loaded.variant}, {err}; cannot {what} a schedule that does not replay"
        ) from None


# -- minimize -----------------------------------------------------------------------------


def add_minimize_parser(sub) -> None:
    p = sub.add_parser("minimize", help="shrink a violating schedule: fewest steps, then fewest preemptions and actors")
    p.add_argument("file", type=Path)
    p.add_argument("--out", type=Path, default=None,
                   help="where to write the minimised schedule (default: a new temporary directory)")
    p.add_argument("--max-runs", type=int, default=20_000, metavar="N",
                   help="give up improving after N candidate runs (the result is still a violating schedule)")


def cmd_minimize(args: argparse.Namespace) -> int:
    loaded = load(args.file)
    _replayable(loaded, "minimise")
    if args.max_runs < 1:
        raise ParamError(f"--max-runs must be at least 1, got {args.max_runs}")
    try:
        result = minimize(loaded.built.program, loaded.built.properties, loaded.schedule.steps, args.max_runs)
    except NotAViolation as err:
        raise ScheduleError(f"{args.file}: nothing to minimise under variant {loaded.variant}: {err}") from None
    print(f"Minimising {args.file} ({loaded.where}): it violates {result.violation.property}")
    print(f"  before: {result.before.describe()}")
    print(f"  after:  {result.after.describe()}")
    for phase in result.phases:
        print(f"    {phase}")
    notes = []
    if result.exhausted:
        notes.append(f"the budget of {args.max_runs} candidate runs ran out before a fixpoint, "
                     f"so a smaller schedule may exist")
    else:
        notes.append("1-minimal: no single step can be removed and no actor dropped without losing the "
                     "violation, and no step moved before an earlier step it depends on gives a smaller schedule")
    notes.append("fewest preemptions among the orders of these steps that keep every dependent pair in order"
                 if result.reorder_exhaustive else
                 "preemptions reduced by a greedy reordering (too many orders for an exact search)")
    print(f"  ({result.runs} candidate runs; {'; '.join(notes)})")
    steps = follow(loaded.built.program, result.steps).steps
    run = follow_schedule(loaded.built.program, result.steps, loaded.built.properties)
    if not result.improved:
        print(f"Already minimal: {result.after.describe()}; nothing to remove, move or reorder.")
        if args.out is None:
            return EXIT_OK
    else:
        print(f"Minimised counterexample, {len(steps)} steps:")
        print(narrate_steps(steps, run.violation))
    schedule = Schedule(loaded.schedule.scenario, loaded.variant, loaded.params, result.steps)
    out = args.out if args.out is not None else (
        Path(tempfile.mkdtemp(prefix="unpack-race-")) / f"{_stem(args.file)}.min.schedule.json")
    path = schedule.save(out)
    print(f"Schedule written to {path}\n  replay it: unpack-race replay {path}")
    return EXIT_OK


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".schedule.json", ".json"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


# -- explain ------------------------------------------------------------------------------


def add_explain_parser(sub) -> None:
    p = sub.add_parser("explain", help="why a schedule violates its property: the race, the window, counterfactuals")
    p.add_argument("file", type=Path)
    p.add_argument("--json", action="store_true", help="print the explanation as JSON data")
    p.add_argument("--max-executions", type=int, default=20_000, metavar="N",
                   help="continuations explored per counterfactual (beyond: undecided)")


def cmd_explain(args: argparse.Namespace) -> int:
    loaded = load(args.file)
    _replayable(loaded, "explain")
    program = loaded.built.program
    try:
        x = explain(program, loaded.built.properties, loaded.schedule.steps, max_executions=args.max_executions)
    except NotAViolation as err:
        raise ScheduleError(f"{args.file}: nothing to explain under variant {loaded.variant}: {err}") from None
    told = story(x, follow(program, tuple(ScheduledStep.of(s) for s in x.steps), finish=True))
    if args.json:
        data = {
            "schedule": str(args.file),
            "scenario": loaded.scenario.name,
            "variant": loaded.variant,
            "params": loaded.params,
            "story": told,
            **explanation_data(x),
        }
        print(json.dumps(data, indent=1))
        return EXIT_OK
    print(f"Explaining {args.file} ({loaded.where}): "
          f"{x.violation.property} is violated at step {x.violation.step_index}.")
    if told:
        print()
        for sentence in told:
            print(sentence)
    print()
    for line in explanation_lines(x):
        print(line)
    graph = x.graph()
    print(f"Happens-before graph: {graph.number_of_nodes()} steps, {graph.number_of_edges()} edges "
          f"after transitive reduction (program order and footprint conflicts); `--json` lists them.")
    return EXIT_OK


# -- replay --all-variants ----------------------------------------------------------------


@attrs.frozen
class VariantReplay:
    variant: str
    run: Followed | None
    problem: str | None  # why it cannot be followed, in one line

    @property
    def verdict(self) -> dict[str, Any] | None:
        if self.run is None or self.problem is not None:
            return None
        return {"verdict": self.run.verdict.value,
                "property": self.run.violation.property if self.run.violation else None}


def replay_under_every_variant(schedule: Schedule, sc: Scenario, params: Mapping[str, Any]) -> list[VariantReplay]:
    """Follow the schedule under each of the scenario's variants (RESYNC policy)."""
    found = []
    for variant in sc.variants:
        try:
            built = sc.build(variant, params)
        except ParamError as err:
            found.append(VariantReplay(variant, None, f"cannot be followed: {err}"))
            continue
        run = follow_schedule(built.program, schedule.steps, built.properties, RESYNC)
        found.append(VariantReplay(variant, run, cannot_follow(run)))
    return found


def cmd_replay_all(args: argparse.Namespace) -> int:
    if args.variant is not None:
        raise ParamError("--variant and --all-variants cannot be used together")
    loaded = load(args.file)
    recorded = _replayable(loaded, "compare")
    expect = loaded.schedule.extensions.get("expect")
    print(f"Replaying {args.file} ({len(loaded.schedule.steps)} steps, recorded under {loaded.variant}) "
          f"under every variant of {loaded.scenario.name} ({loaded.built.bounds}).")
    print("Where a variant's code takes another path, the schedule is still followed: an actor whose "
          "next effect comes later in the schedule skips the steps before it; one whose code does "
          "something else keeps its turns and does that.")
    all_expected, any_violation = True, False
    for result in replay_under_every_variant(loaded.schedule, loaded.scenario, loaded.params):
        mark = " (recorded)" if result.variant == loaded.variant else ""
        if result.problem is not None or result.run is None:
            print(f"- {result.variant}{mark}: {result.problem}")
            all_expected, any_violation = False, True  # exit 1 either way: not a clean verdict
            continue
        any_violation |= result.run.violation is not None
        line = f"- {result.variant}{mark}: {verdict_line(result.run)}"
        if isinstance(expect, dict) and result.variant in expect:
            wanted = expect[result.variant]
            same = result.verdict == {"verdict": wanted.get("verdict"), "property": wanted.get("property")}
            all_expected &= same
            line += "  [as expected]" if same else f"  [NOT AS EXPECTED: expected {wanted}]"
        print(line)
        for text in followed_lines(result.run, recorded):
            print(f"    {text}")
    if isinstance(expect, dict):
        print("every verdict is the expected one" if all_expected else "SOME VERDICTS ARE NOT AS EXPECTED")
        return EXIT_OK if all_expected else EXIT_VIOLATION
    return EXIT_VIOLATION if any_violation else EXIT_OK
