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
from collections.abc import Callable, Iterable

import attrs
from unpack_race.scheduler.choice_point import ChoicePoint
from unpack_race.scheduler.coverage import Coverage, Facts, Kind
from unpack_race.scheduler.explore import Budget, Progress, ProgressReporter, Result, explore
from unpack_race.scheduler.interrupts import Interrupted
from unpack_race.scheduler.program import Program
from unpack_race.scheduler.properties import Kind as PropertyKind
from unpack_race.scheduler.properties import Property
from unpack_race.scheduler.strategies.base import ALL_SCOPES, SingleExecution
from unpack_race.scheduler.verdict import Verdict

CITATION = "MacIver, Hatfield-Dodds et al., Hypothesis: a new approach to property-based testing, JOSS 2019"


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

    def __init__(self, data) -> None:
        self._data = data
        self.choices: list[int] = []

    def choose(self, point: ChoicePoint) -> str:
        runnable = point.runnable
        if len(runnable) == 1:
            return runnable[0]
        names = point.actors
        from hypothesis import strategies as st  # imported when a search runs (see hypothesis_search)

        index = self._data.draw(st.integers(0, len(names) - 1))
        self.choices.append(index)
        for offset in range(len(names)):  # the drawn actor, or the next runnable one after it
            name = names[(index + offset) % len(names)]
            if name in runnable:
                return name
        raise AssertionError("unreachable: runnable is never empty")

    def facts(self) -> Facts:
        return Facts(Kind.SINGLE_RUN, "Hypothesis-drawn choices", CITATION, {}, ALL_SCOPES, "one drawn run")


class _Found(Exception):
    """A violating execution, raised so that Hypothesis sees a failing example."""

    def __init__(self, result: Result) -> None:
        super().__init__(result.violation.message)
        self.result = result


class _OutOfBudget(BaseException):
    """The search's budget ran out (a BaseException: Hypothesis lets it through)."""


class _Escape(BaseException):
    """An error in an example's execution that is not a verdict (an execution past the
    budget's `max_steps_per_execution`, a protocol or determinism error): carried past
    Hypothesis, which would take it for a failing example and spend minutes shrinking it,
    and raised as it is, at once, as `explore` raises it."""

    def __init__(self, error: Exception) -> None:
        self.error = error


def hypothesis_search(
    program: Program,
    properties: Iterable[Property] = (),
    *,
    runs: int,
    seed: int,
    bounds: str = "(none)",
    budget: Budget = Budget(),
    progress: Callable[[Progress], None] | None = None,
    progress_every: float = 1.0,
) -> Result:
    """Up to `runs` Hypothesis examples, one execution each; at the first violation
    Hypothesis shrinks the choices, and the result's counterexample is the shrunk one.
    `executions` and `steps` count every execution run, shrinking included. The budget's
    execution and time limits stop the search (verdict BUDGET) unless a violation was
    already found, in which case shrinking stops there and the shortest counterexample
    so far is reported. Every violation counts as the same failure to Hypothesis, so if a
    shorter execution violates another property, the shrunk counterexample may be that
    one; the result names the property the reported counterexample violates. An error
    that is no verdict (an execution longer than the budget's `max_steps_per_execution`:
    ProtocolError) is raised at once, as `explore` raises it, not shrunk. Ctrl-C
    raises `Interrupted` (scheduler.interrupts), as `explore` does, whose `partial` is the
    result so far: verdict INTERRUPTED, or, when a violation was found and being shrunk,
    the shortest counterexample so far (verdict VIOLATION). `progress` is called, as
    `explore` calls it, every `progress_every` seconds (after an example) and once at the end."""
    if runs < 1:
        raise ValueError(f"a Hypothesis search needs at least one example, got runs={runs}")
    choices = len(program.choice_names())  # the actors, and a crash choice per crashable one
    if choices > MAX_ACTORS:
        what = "actors" if choices == len(program.actors) else "actors and crash choices"
        raise ValueError(
            f"program {program.name!r} has {choices} {what}; the Hypothesis search "
            f"handles at most {MAX_ACTORS}, so that its draws stay independent of the source "
            f"code loaded (see MAX_ACTORS)"
        )
    properties = list(properties)
    wanted = [p.name for p in properties if p.kind is PropertyKind.SOMETIMES]
    reached: set[str] = set()
    one_execution = Budget(max_steps_per_execution=budget.max_steps_per_execution)
    count = {"executions": 0, "complete": 0, "steps": 0}
    cut: dict[str, int] = {}
    first: dict[str, int] = {}  # the first violating example: its number and length
    shortest: list[Result] = []  # the shortest violating execution so far
    started = time.monotonic()
    reporter = ProgressReporter(progress, progress_every)

    def report(final: bool = False) -> None:
        reporter(count["executions"], count["steps"], lambda: None, final)

    def out_of_budget() -> bool:
        return (budget.max_executions is not None and count["executions"] >= budget.max_executions) or (
            budget.max_seconds is not None and time.monotonic() - started > budget.max_seconds)

    import hypothesis  # here, not at the top: every command would pay its 0.13 s import at startup
    from hypothesis import HealthCheck, Phase, Verbosity
    from hypothesis import strategies as st
    from hypothesis.errors import HypothesisException

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
        try:
            result = explore(program, DrawnChoices(data), properties, bounds=bounds, budget=one_execution)
        except HypothesisException:  # Hypothesis's own control flow, from a draw
            raise
        except Exception as error:
            raise _Escape(error) from None
        count["steps"] += result.steps  # (Ctrl-C raises Interrupted, a KeyboardInterrupt: Hypothesis lets it through)
        count["executions"] += 1
        count["complete"] += result.coverage.complete
        for cause, n in result.coverage.cut.items():
            cut[cause] = cut.get(cause, 0) + n
        reached.update(result.reached)
        report()
        if result.verdict is Verdict.VIOLATION:
            if not first:
                first.update(example=count["executions"], length=len(result.counterexample))
            if not shortest or len(result.counterexample) < len(shortest[0].counterexample):
                shortest[:] = [result]
        if out_of_budget():  # after the example's draws, so that Hypothesis sees them all
            raise _OutOfBudget()
        if result.verdict is Verdict.VIOLATION:
            raise _Found(result)

    found: Result | None = None
    interrupted = out = False
    try:
        one_example()
    except _Found as failure:
        found = failure.result
    except _OutOfBudget:
        out = True
        found = shortest[0] if shortest else None
    except _Escape as escape:
        raise escape.error from None
    except KeyboardInterrupt:  # in an example's execution (explore's Interrupted) or in Hypothesis itself
        interrupted = True
        found = shortest[0] if shortest else None
    elapsed = time.monotonic() - started
    report(final=True)
    reached_names = tuple(name for name in wanted if name in reached)
    unreached = tuple(name for name in wanted if name not in reached)
    examples = first["example"] if found is not None else count["executions"]
    notes = ()
    if found is not None:
        length = len(found.counterexample)
        shrinks = count["executions"] - first["example"]
        if length < first["length"]:
            shrunk = f"Hypothesis shrank it to {length} steps in {shrinks} further executions"
        else:
            shrunk = (f"Hypothesis shrank its choices in {shrinks} further executions; the shrunk "
                      f"example runs {length} steps too")
        if out:
            shrunk += " (then the budget ran out)"
        elif interrupted:
            shrunk += " (then it was interrupted)"
        notes = (f"the first violating example ran {first['length']} steps, {shrunk}",)
    facts = Facts(
        Kind.SAMPLED, "Hypothesis-drawn choices", CITATION, {"runs": runs, "seed": seed, "examples": examples},
        ALL_SCOPES, "no guarantee: runs whose choices Hypothesis draws; a counterexample it finds is shrunk",
        None, notes,
    )
    coverage = Coverage(facts, bounds, count["executions"], count["complete"], dict(sorted(cut.items())),
                        count["steps"], not (interrupted or out) and found is None)
    common = dict(coverage=coverage, reached=reached_names, unreached=unreached, elapsed=elapsed)
    if found is not None:
        # the shrunk execution's own violation and run, with the whole search's coverage
        shown = attrs.evolve(found, found_in=first["example"], **common)
        if interrupted:
            raise Interrupted(shown)
        return shown
    if interrupted:
        raise Interrupted(Result(Verdict.INTERRUPTED, **common))
    if out:
        return Result(Verdict.BUDGET, **common)
    if unreached:
        return Result(Verdict.VACUOUS, **common)
    return Result(Verdict.PASS, **common)
