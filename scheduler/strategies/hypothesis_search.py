"""A search driven by Hypothesis (MacIver et al., "Hypothesis: a new approach to
property-based testing", JOSS 2019): every choice of an execution is a Hypothesis draw,
so when a property fails, Hypothesis shrinks the sequence of choices and the
counterexample reported is the shrunk one, not the first one found.

Hypothesis drives the loop (it decides how many examples to run and which to re-run while
shrinking), so this is not a `Strategy` that the explorer pulls from. Each example is one
call of `explore()` with a one-execution strategy, `DrawnChoices`, whose `choose()` draws
the index of the runnable actor to move (only where more than one can move). The
explorer's per-execution checks (always after every step, at-end and deadlock at the end,
sometimes across the whole search) are thus the very same; a violation becomes an
exception that Hypothesis sees as a failing example and shrinks, towards fewer choices and
towards actors earlier in program order.

The run is deterministic: an explicit `hypothesis.seed(seed)`, no example database, no
deadline, no health checks (they time the test), only the generate and shrink phases
(the explain phase re-runs examples to comment on them), and at most `MAX_ACTORS` actors.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import attrs
import hypothesis
from hypothesis import HealthCheck, Phase, Verbosity
from hypothesis import strategies as st

from unpack_race.scheduler.explore import INTERRUPTED, PASS, VACUOUS, VIOLATION, Budget, SearchResult, explore
from unpack_race.scheduler.kernel import Execution
from unpack_race.scheduler.program import Program
from unpack_race.scheduler.properties import Kind, Property
from unpack_race.scheduler.strategies.base import SingleExecution


#: Hypothesis sometimes (p = 0.05) replaces an integer draw by a constant found in the
#: source of the local modules loaded in the process, but only by constants of absolute
#: value 100 or more. Drawing actor indices below 100 keeps the draws, and so the runs of
#: a seed, the same whichever modules a process has imported.
MAX_ACTORS = 100


class DrawnChoices(SingleExecution):
    """One execution whose every real choice (more than one runnable actor) is drawn
    from a Hypothesis `data` object.

    A draw names an actor by its place in the program (its index among all actors, not
    among the runnable ones); a blocked or finished actor stands for the next runnable one
    after it, cyclically. So a choice keeps its meaning when Hypothesis deletes earlier
    choices (an index among the runnable actors would shift as soon as some actor
    finished earlier or later), which lets the shrinker cut whole stretches of unrelated
    steps. The price is a bias: an actor that follows blocked ones in program order is
    drawn more often than the others."""

    exhaustive = False

    def __init__(self, data) -> None:
        self._data = data
        self.choices: list[int] = []

    def choose(self, execution: Execution, runnable: list[str]) -> str | None:
        if len(runnable) == 1:
            return runnable[0]
        names = execution.program.actor_names()
        index = self._data.draw(st.integers(0, len(names) - 1))
        self.choices.append(index)
        can_move = set(runnable)
        for offset in range(len(names)):  # the drawn actor, or the next runnable one after it
            name = names[(index + offset) % len(names)]
            if name in can_move:
                return name
        raise AssertionError("unreachable: runnable is never empty")

    def describe(self) -> str:
        return "Hypothesis-drawn choices"

    def claim(self, bounds: str, executions: int, violations: int) -> str:
        return f"one Hypothesis example, bounds {bounds}: {violations} violations"


class _Found(Exception):
    """A violating execution, raised so that Hypothesis sees a failing example."""

    def __init__(self, result: SearchResult) -> None:
        super().__init__(result.violation.message if result.violation else result.claim)
        self.result = result


def hypothesis_search(
    program: Program,
    properties: Iterable[Property] = (),
    *,
    runs: int,
    seed: int,
    bounds: str = "(none)",
    budget: Budget = Budget(),
) -> SearchResult:
    """Up to `runs` Hypothesis examples, one execution each; at the first violation
    Hypothesis shrinks the choices, and the result's counterexample is the shrunk one.
    `executions` and `steps` count every execution run, shrinking included; only
    `budget.max_steps_per_execution` applies (Hypothesis decides how many examples).
    Every violation counts as the same failure to Hypothesis, so if a shorter execution
    violates another property, the shrunk counterexample may be that one; the result
    names the property the reported counterexample violates."""
    if runs < 1:
        raise ValueError(f"a Hypothesis search needs at least one example, got runs={runs}")
    if len(program.actors) > MAX_ACTORS:
        raise ValueError(
            f"program {program.name!r} has {len(program.actors)} actors; the Hypothesis search "
            f"handles at most {MAX_ACTORS}, so that its draws stay independent of the source "
            f"code loaded (see MAX_ACTORS)"
        )
    properties = list(properties)
    wanted = [p.name for p in properties if p.kind is Kind.SOMETIMES]
    reached: set[str] = set()
    one_execution = Budget(max_steps_per_execution=budget.max_steps_per_execution)
    count = {"executions": 0, "steps": 0}
    first: dict[str, int] = {}  # the first violating example: its number and length
    started = time.monotonic()

    @hypothesis.settings(
        max_examples=runs,
        database=None,
        deadline=None,
        derandomize=False,
        phases=(Phase.generate, Phase.shrink),
        report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
        print_blob=False,
    )
    @hypothesis.seed(seed)
    @hypothesis.given(st.data())
    def one_example(data) -> None:
        result = explore(program, DrawnChoices(data), properties, bounds=bounds, budget=one_execution)
        count["steps"] += result.steps
        if result.verdict == INTERRUPTED:  # Ctrl-C: Hypothesis lets it through
            raise KeyboardInterrupt
        count["executions"] += 1
        reached.update(result.reached)
        if result.verdict == VIOLATION:
            if not first:
                first.update(example=count["executions"], length=len(result.counterexample))
            raise _Found(result)

    found: SearchResult | None = None
    interrupted = False
    try:
        one_example()
    except _Found as failure:
        found = failure.result
    except KeyboardInterrupt:
        interrupted = True
    elapsed = time.monotonic() - started
    reached_names = tuple(name for name in wanted if name in reached)
    unreached = tuple(name for name in wanted if name not in reached)
    common = dict(
        executions=count["executions"], steps=count["steps"], states=None, elapsed=elapsed,
        reached=reached_names, unreached=unreached,
    )
    head = f"sampled, not exhaustive: {{}} Hypothesis examples, seed {seed}, bounds {bounds}"
    if found is not None:
        violation = found.violation
        length = len(found.counterexample)
        shrinks = count["executions"] - first["example"]
        if length < first["length"]:
            shrunk = f"Hypothesis shrank it to {length} steps in {shrinks} further executions"
        else:
            shrunk = (
                f"Hypothesis shrank its choices in {shrinks} further executions; the shrunk "
                f"example runs {length} steps too"
            )
        claim = (
            f"{head.format(first['example'])}: violation of {violation.property} at step "
            f"{violation.step_index}; the first violating example ran {first['length']} steps, "
            f"{shrunk}"
        )
        # the shrunk execution's own result (its violation, counterexample and whatever
        # else the explorer reports about it), with the whole search's counts
        return attrs.evolve(found, claim=claim, **common)
    covered = f"{head.format(count['executions'])}: 0 violations"
    if interrupted:
        return SearchResult(INTERRUPTED, f"interrupted before a verdict; covered so far: {covered}", **common)
    if unreached:
        return SearchResult(VACUOUS, f"vacuous: never reached {', '.join(unreached)}; {covered}", **common)
    return SearchResult(PASS, covered, **common)
