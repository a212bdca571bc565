"""Minimising a violating schedule: fewer steps, then fewer preemptions and actors.

The input is a schedule whose run violates a property P. Every candidate below is run
with the SUBSEQUENCE policy of `scheduler.follow`, matching by kind (take each scheduled
step whose actor's pending effect is of the scheduled kind, whatever its arguments, and
skip the others), and it *still fails* when that run violates the same property P. What is kept is always the run's own steps, which
replay strictly; the run is cut at the violation. A candidate is accepted only when its
measure is smaller, lexicographically:

    (steps, preemptions, actors involved, context switches)

so a schedule never grows. The phases, repeated until none of them improves:

1. drop an actor: remove every step of one actor;
2. ddmin (Zeller and Hildebrandt, "Simplifying and isolating failure-inducing input",
   IEEE TSE 2002) over the steps: the result is 1-minimal, no single step can go;
3. hoist: move one step to just before an earlier step it depends on (moving it past
   steps it commutes with would change nothing). This is how a shorter run is found
   when an earlier decision lets an actor skip work (it gives up sooner);
then, once:
4. reorder: among the orders of the steps that keep every dependent pair in its order
   (so each step has the same outcome: `scheduler.happens_before`), take one with the
   fewest preemptions, by an exact search over the happens-before graph's downsets.

"Fewest steps" is therefore a local minimum (1-minimal under removal and single moves),
not a proof that no shorter violating run exists: a breadth-first search proves that.

`minimize` replays a schedule first; `minimize_run` starts from a run at hand (a search's
counterexample), so that only the candidates are run. The result carries the run of the
schedule it found, for narrating it. Ctrl-C during the candidates raises Interrupted
(scheduler.interrupts) whose `partial` is the Minimized so far (`interrupted` set): the
smallest violating schedule found until then.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

import attrs
from unpack_race.scheduler.choices import ReplayDivergence
from unpack_race.scheduler.follow import (
    KIND,
    SUBSEQUENCE,
    Followed,
    follow,
    follow_schedule,
)
from unpack_race.scheduler.happens_before import dependent, fewest_preemptions_order
from unpack_race.scheduler.interrupts import Interrupted
from unpack_race.scheduler.program import Program
from unpack_race.scheduler.properties import Property, Violation
from unpack_race.scheduler.run import Run
from unpack_race.scheduler.schedule import ScheduledStep

T = TypeVar("T")


def ddmin(items: Sequence[T], fails: Callable[[tuple[T, ...]], tuple[T, ...] | bool]) -> tuple[T, ...]:
    """Zeller's ddmin: a 1-minimal subsequence of `items` for which `fails` holds
    (`items` itself must fail). `fails` may return a tuple instead of True: the failing
    input it actually saw, no longer than the candidate (a run that dropped steps),
    which then replaces the candidate."""
    current = tuple(items)
    granularity = 2
    while len(current) >= 2:
        size = len(current)
        chunks = [current[i * size // granularity:(i + 1) * size // granularity] for i in range(granularity)]
        chunks = [c for c in chunks if c]
        reduced = None
        for chunk in chunks:  # a chunk alone
            reduced = _try(fails, chunk, size)
            if reduced is not None:
                granularity = 2
                break
        if reduced is None and len(chunks) > 2:  # (with two, the complements are the chunks)
            for i in range(len(chunks)):  # everything but one chunk
                complement = tuple(x for j, c in enumerate(chunks) if j != i for x in c)
                reduced = _try(fails, complement, size)
                if reduced is not None:
                    granularity = max(granularity - 1, 2)
                    break
        if reduced is not None:
            current = reduced
            continue
        if granularity >= len(current):
            break
        granularity = min(granularity * 2, len(current))
    return current


def _try(fails, candidate, size):
    verdict = fails(tuple(candidate))
    if verdict is True:
        return tuple(candidate)
    if verdict:
        if len(verdict) >= size:
            return None
        return tuple(verdict)
    return None


@attrs.frozen(order=True)
class Measure:
    """What minimisation makes smaller, compared in this order."""

    steps: int
    preemptions: int
    actors: int
    switches: int

    def describe(self) -> str:
        return (f"{self.steps} steps, {self.preemptions} preemptions, {self.actors} actors, "
                f"{self.switches} context switches")


def measure(run: Followed) -> Measure:
    return Measure(
        len(run.steps),
        run.run.preemptions(),
        len({s.actor for s in run.steps}),
        run.run.context_switches(),
    )


class NotAViolation(ValueError):
    """The schedule to minimise does not violate any property."""


@attrs.frozen
class Minimized:
    steps: tuple[ScheduledStep, ...]
    violation: Violation
    before: Measure
    after: Measure
    runs: int  # candidate runs tried
    exhausted: bool  # the run budget ran out before a fixpoint
    reorder_exhaustive: bool  # the preemption search covered every order
    phases: tuple[str, ...]  # what each accepted improvement was, in order
    run: Run | None = attrs.field(default=None, eq=False, repr=False)  # the run of `steps`, to narrate it
    interrupted: bool = False  # Ctrl-C stopped it before a fixpoint (the smallest so far; see _minimize)

    @property
    def improved(self) -> bool:
        return self.after < self.before


class _Budget(Exception):
    pass


class _Minimizer:
    def __init__(self, program: Program, properties: Sequence[Property], prop: str, max_runs: int) -> None:
        self.program = program
        self.properties = list(properties)
        self.prop = prop
        self.max_runs = max_runs
        self.runs = 0
        self.cache: dict[tuple, Followed | None] = {}

    def run(self, steps: tuple[ScheduledStep, ...]) -> Followed | None:
        """The candidate's run if it violates the same property, else None."""
        key = _key(steps)
        if key in self.cache:
            return self.cache[key]
        if self.runs >= self.max_runs:
            raise _Budget()
        self.runs += 1
        run = follow_schedule(self.program, steps, self.properties, SUBSEQUENCE, KIND)
        kept = run if run.violation is not None and run.violation.property == self.prop else None
        self.cache[key] = kept
        if kept is not None:
            self.cache.setdefault(_key(kept.schedule()), kept)
        return kept


def _key(steps: Sequence[ScheduledStep]) -> tuple:
    """Scheduled steps as a hashable value (their arguments are JSON objects)."""
    return tuple((s.actor, s.effect, json.dumps(s.args, sort_keys=True)) for s in steps)


def minimize(
    program: Program,
    properties: Iterable[Property],
    steps: Sequence[ScheduledStep],
    max_runs: int = 20_000,
) -> Minimized:
    """Minimise a violating schedule (see the module docstring). Raises ReplayDivergence
    if `steps` do not replay strictly, NotAViolation if their run violates nothing."""
    steps = tuple(steps)
    follow(program, steps)  # strict replay first: a schedule that does not fit is refused
    original = follow_schedule(program, steps, properties, SUBSEQUENCE)
    if original.violation is None:
        raise NotAViolation(f"its {len(original.steps)} steps violate no property")
    return _minimize(program, properties, original, max_runs)


def minimize_run(
    program: Program,
    properties: Iterable[Property],
    run: Run,
    violation: Violation,
    max_runs: int = 20_000,
) -> Minimized:
    """Minimise a run of `program` already known to violate `violation` (a search's
    counterexample, or a schedule replayed once): the run is not run again, only the
    candidates are. The run is cut after its violating step."""
    end = len(run.steps) if violation.step_index is None else violation.step_index + 1
    cut = run.prefix(end)
    original = Followed(cut, violation, (), tuple(range(len(cut.steps))), len(cut.steps), len(cut.steps))
    return _minimize(program, properties, original, max_runs)


def _minimize(program: Program, properties: Iterable[Property], original: Followed, max_runs: int) -> Minimized:
    m = _Minimizer(program, properties, original.violation.property, max_runs)
    best = original
    best_measure = measure(original)
    before = best_measure
    phases: list[str] = []
    exhausted = False

    def accept(run: Followed | None, what: str) -> bool:
        nonlocal best, best_measure
        if run is None:
            return False
        new = measure(run)
        if new < best_measure:
            phases.append(f"{what}: {best_measure.steps} -> {new.steps} steps, "
                          f"{best_measure.preemptions} -> {new.preemptions} preemptions")
            best, best_measure = run, new
            return True
        return False

    reorder_exhaustive = True
    try:
        while True:
            improved = False
            for actor in sorted({s.actor for s in best.steps}):
                candidate = tuple(s for s in best.schedule() if s.actor != actor)
                if accept(m.run(candidate), f"drop actor {actor}"):
                    improved = True

            def fails(candidate):
                run = m.run(candidate)
                return run.schedule() if run is not None else False

            reduced = ddmin(best.schedule(), fails)
            if reduced != best.schedule() and accept(m.run(reduced), "ddmin"):
                improved = True
            if _hoist(m, best, accept):
                improved = True
            if improved:
                continue
            reordered, reorder_exhaustive = _reorder(program, best)
            if reordered == best.schedule() or not accept(m.run(reordered), "reorder"):
                break
    except _Budget:
        exhausted = True
    except KeyboardInterrupt as stop:  # the smallest so far is a violating schedule too
        raise Interrupted(Minimized(
            steps=best.schedule(), violation=best.violation, before=before, after=best_measure, runs=m.runs,
            exhausted=False, reorder_exhaustive=reorder_exhaustive, phases=tuple(phases), run=best.run,
            interrupted=True)) from stop
    return Minimized(
        steps=best.schedule(),
        violation=best.violation,
        before=before,
        after=best_measure,
        runs=m.runs,
        exhausted=exhausted,
        reorder_exhaustive=reorder_exhaustive,
        phases=tuple(phases),
        run=best.run,
    )


def _reorder(program: Program, best: Followed) -> tuple[tuple[ScheduledStep, ...], bool]:
    """The same steps in an order that keeps every dependent pair and has the fewest
    preemptions; the violating step stays last."""
    recorded = best.steps  # the run's own steps, with their footprints: nothing to run again
    order, exhaustive = fewest_preemptions_order(program, recorded, last=recorded[-1].index)
    return tuple(ScheduledStep.of(recorded[i]) for i in order), exhaustive


def _hoist(m: _Minimizer, best: Followed, accept) -> bool:
    """Try moving each step to just before an earlier step it depends on (latest first);
    take the first move that makes the measure smaller."""
    schedule = best.schedule()
    recorded = best.steps
    for j in range(len(recorded) - 1, 0, -1):
        for i in range(j - 1, -1, -1):
            if recorded[i].actor == recorded[j].actor:
                break  # it cannot pass its own actor's earlier steps
            if not dependent(recorded[i], recorded[j]):
                continue
            candidate = schedule[:i] + (schedule[j],) + schedule[i:j] + schedule[j + 1:]
            if accept(m.run(candidate), f"hoist step {j} before step {i}"):
                return True
    return False


__all__ = ["Measure", "Minimized", "NotAViolation", "ReplayDivergence", "ddmin", "measure", "minimize",
           "minimize_run"]
