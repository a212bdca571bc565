"""The explorer: runs executions under a strategy, checks properties after every step,
and says honestly what the search proved.

It owns the loop that strategies, properties and budgets plug into, so none of them
needs to know about the others. A run ends at the first violation (its execution becomes
the counterexample), when the strategy has nothing left, when a budget runs out, or on
Ctrl-C; the result then says what was covered so far.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import attrs

from unpack_race.scheduler.kernel import Execution, ProtocolError, Step
from unpack_race.scheduler.preemptions import count_preemptions
from unpack_race.scheduler.program import Program
from unpack_race.scheduler.properties import NO_DEADLOCK, End, Kind, Property, Scope, Violation
from unpack_race.scheduler.strategies.base import Strategy
from unpack_race.scheduler.verdict import Verdict

PASS, VIOLATION, VACUOUS, BUDGET, INTERRUPTED = (
    Verdict.PASS, Verdict.VIOLATION, Verdict.VACUOUS, Verdict.BUDGET, Verdict.INTERRUPTED,
)


class PropertyScopeError(ValueError):
    """A property the strategy's reduction cannot preserve; one line saying what to do."""


@attrs.frozen
class Budget:
    """Limits on a search; None means no limit. Wall-clock time only bounds the search,
    it never influences which interleavings are run."""

    max_executions: int | None = None
    max_seconds: float | None = None
    max_steps_per_execution: int = 100_000


@attrs.frozen
class Progress:
    executions: int
    steps: int
    states: int | None
    elapsed: float


@attrs.frozen
class SearchResult:
    verdict: Verdict
    claim: str
    executions: int
    steps: int
    states: int | None
    elapsed: float
    violation: Violation | None = None
    counterexample: tuple[Step, ...] = ()
    preemptions: int | None = None  # in the counterexample
    reached: tuple[str, ...] = ()
    unreached: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.verdict == PASS


def explore(
    program: Program,
    strategy: Strategy,
    properties: Iterable[Property] = (),
    *,
    bounds: str = "(none)",
    budget: Budget = Budget(),
    progress: Callable[[Progress], None] | None = None,
    progress_every: float = 1.0,
) -> SearchResult:
    properties = list(properties)
    refusal = strategy.refuse(properties)
    if refusal is not None:
        raise PropertyScopeError(refusal)
    always = [p for p in properties if p.kind is Kind.ALWAYS and p.scope is not Scope.AT_END]
    ends = [p for p in properties if p.kind is Kind.ALWAYS and p.scope is Scope.AT_END]
    wanted = [p for p in properties if p.kind is Kind.SOMETIMES and p.scope is not Scope.AT_END]
    wanted_at_end = [p for p in properties if p.kind is Kind.SOMETIMES and p.scope is Scope.AT_END]
    reached: set[str] = set()
    executions = steps = 0
    started = last_report = time.monotonic()
    violation: Violation | None = None
    counterexample: tuple[Step, ...] = ()
    preemptions: int | None = None  # in the counterexample
    stopped: str | None = None

    reported = False

    def report(final: bool = False) -> None:
        nonlocal last_report, reported
        now = time.monotonic()
        if progress is None or (final and not reported) or (not final and now - last_report < progress_every):
            return
        last_report, reported = now, True
        progress(Progress(executions, steps, strategy.distinct_states(), now - started))

    try:
        first = True
        while strategy.begin_execution():
            if budget.max_executions is not None and executions >= budget.max_executions:
                stopped = BUDGET
                break
            if budget.max_seconds is not None and time.monotonic() - started > budget.max_seconds:
                stopped = BUDGET
                break
            execution = Execution(program, strategy.interner, footprints=strategy.needs_footprints)
            if first:
                violation = _check_always(always, execution.world, None)
                for prop in wanted:
                    if prop.scope is Scope.ON_STATE and prop.holds(execution.world):
                        reached.add(prop.name)
                first = False
            terminal = False
            while violation is None:
                runnable = execution.runnable()
                if not runnable:
                    terminal = True
                    break
                choice = strategy.choose(execution, runnable)
                if choice is None:
                    break
                step = execution.step(choice)
                steps += 1
                if len(execution.steps) > budget.max_steps_per_execution:
                    raise ProtocolError(
                        f"an execution ran past {budget.max_steps_per_execution} steps; "
                        f"does an actor loop forever?"
                    )
                violation = _check_always(always, execution.world, step)
                for prop in wanted:
                    if prop.name not in reached and prop.holds(step if prop.scope is Scope.ON_STEP else execution.world):
                        reached.add(prop.name)
            if violation is None and terminal:
                violation = _check_end(ends, execution)
                if violation is None and wanted_at_end:
                    end = End(execution.world, execution.ends())
                    reached.update(p.name for p in wanted_at_end if p.name not in reached and p.holds(end))
            strategy.end_execution(execution)
            execution.close()
            executions += 1
            if violation is not None:
                counterexample = tuple(execution.steps)
                break
            report()
    except KeyboardInterrupt:
        stopped = INTERRUPTED
    elapsed = time.monotonic() - started
    report(final=True)
    states = strategy.distinct_states()
    sought = wanted + wanted_at_end
    reached_names = tuple(p.name for p in sought if p.name in reached)
    unreached = tuple(p.name for p in sought if p.name not in reached)
    common = dict(
        executions=executions, steps=steps, states=states, elapsed=elapsed,
        reached=reached_names, unreached=unreached,
    )
    if violation is not None:
        claim = (
            f"violation of {violation.property} found by {strategy.describe()} in execution "
            f"{executions}, at step {violation.step_index} (bounds {bounds})"
        )
        preemptions = count_preemptions(program, [s.actor for s in counterexample])
        return SearchResult(
            VIOLATION, claim, violation=violation, counterexample=counterexample,
            preemptions=preemptions, **common,
        )
    covered = strategy.claim(bounds, executions, 0)
    if stopped == BUDGET:
        return SearchResult(BUDGET, f"budget ran out before a verdict; covered so far: {covered}", **common)
    if stopped == INTERRUPTED:
        return SearchResult(INTERRUPTED, f"interrupted before a verdict; covered so far: {covered}", **common)
    if unreached:
        return SearchResult(
            VACUOUS,
            f"vacuous: never reached {', '.join(unreached)}; {covered}",
            **common,
        )
    return SearchResult(PASS, covered, **common)


def _check_always(always: list[Property], world, step: Step | None) -> Violation | None:
    """The `always` properties after `step` (None: in the initial state, where only the
    state properties apply)."""
    for prop in always:
        if prop.scope is Scope.ON_STEP:
            if step is None:
                continue
            subject = step
        else:
            subject = world
        if not prop.holds(subject):
            what = prop.description or prop.name
            detail = f" ({prop.explain(subject)})" if prop.explain else ""
            if step is None:
                return Violation(prop.name, None, f"{what}: false in the initial state{detail}")
            return Violation(
                prop.name, step.index, f"{what}: violated by step {step.index}: {step.narrate()}{detail}"
            )
    return None


def _check_end(ends: list[Property], execution: Execution) -> Violation | None:
    last = execution.steps[-1].index if execution.steps else None
    if execution.deadlocked():
        blocked = "; ".join(
            f"{a.name} waits to {a.pending.describe()} ({a.pending.blocked_on(execution.world)})"
            for a in execution.unfinished()
        )
        return Violation(NO_DEADLOCK, last, f"deadlock: no actor can move; {blocked}")
    end = End(execution.world, execution.ends())
    for prop in ends:
        if not prop.holds(end):
            detail = f": {prop.explain(end)}" if prop.explain else ""
            what = prop.description or prop.name
            return Violation(prop.name, last, f"{what}: false at the end of the execution{detail}")
    return None
