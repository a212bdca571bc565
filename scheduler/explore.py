"""The explorer: runs executions under a strategy, checks properties after every step,
and says what the search covered.

It owns the loop that strategies, properties and budgets plug into, so none of them
needs to know about the others. For each execution it asks the strategy for a prefix,
replays it (`scheduler.choices.replay`: the one prefix replay, with its determinism
check; the steps an earlier execution already checked are not checked again), then asks
the strategy at every choice point. For a strategy that `restores` (DFS with state
caching), an execution after the first starts instead from the state at its branching
point, restored from a saved state (scheduler.restore), and replays only what lies beyond
the saved state. A search ends at the first violation (its run
becomes the counterexample), when the strategy has nothing left, or when a budget runs
out; the result then says what was covered so far. Ctrl-C is not a result: `explore`
raises `Interrupted` (scheduler.interrupts), a KeyboardInterrupt whose `partial` is the
result so far (verdict INTERRUPTED), so that whatever runs the search stops too.

With `checkpoint` (scheduler.checkpoint.Checkpointing) the search hands out its state at
execution boundaries, every so often, before a budget stops it, and when stopped there
(by `stop()` or a KeyboardInterrupt); `resume=state` goes on from such a state, with
the strategy, the interner, the counters and the restorer as they were.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterable
from typing import Any

import attrs
from unpack_race.scheduler.checkpoint import Checkpointing, CheckpointError, RestorerState, SearchState
from unpack_race.scheduler.checks import Checks
from unpack_race.scheduler.choice_point import ChoicePoint, Cut
from unpack_race.scheduler.choices import Choice, Recorded, replay
from unpack_race.scheduler.coverage import VIOLATED, Coverage, Facts, Kind
from unpack_race.scheduler.interrupts import Interrupted
from unpack_race.scheduler.kernel import Execution, HistoryInterner, ModelError, ProtocolError, Step
from unpack_race.scheduler.program import Program, check_fingerprint
from unpack_race.scheduler.properties import Property, Violation
from unpack_race.scheduler.restore import Restorer
from unpack_race.scheduler.run import Run
from unpack_race.scheduler.strategies.base import SingleExecution, Strategy
from unpack_race.scheduler.verdict import Verdict

PASS, VIOLATION, VACUOUS, BUDGET, INTERRUPTED = (
    Verdict.PASS, Verdict.VIOLATION, Verdict.VACUOUS, Verdict.BUDGET, Verdict.INTERRUPTED,
)


class PropertyScopeError(ValueError):
    """A property the strategy's reduction cannot preserve; one line saying what to do."""


class ModelFailure(ProtocolError):
    """The model broke the effect protocol during an execution: an effect or an actor's own
    code raised an exception that is not a `Failure`, or an actor yielded something that
    is not an effect, or ran past the step limit. It is a finding about the model, so it
    carries what reproduces it: `run`, the execution up to the failure (the step whose code
    raised is not in it: it could not be taken), `failing`, that step as a `Choice` (None
    when the actor's own code raised after its step), `execution`, the number of the
    execution (1-based) in which it happened, and `error`, the kernel's exception."""

    def __init__(self, error: ProtocolError, run: Run | None, failing: Choice | None, execution: int) -> None:
        super().__init__(str(error))
        self.error, self.run, self.failing, self.execution = error, run, failing, execution

    @property
    def steps(self) -> tuple[Recorded, ...]:
        """The recorded steps that lead to the failure, the failing one included: replayed,
        they raise it again."""
        taken = tuple(Choice(s.actor, s.effect) for s in self.run.steps) if self.run is not None else ()
        return taken + ((self.failing,) if self.failing is not None else ())


@attrs.frozen
class Budget:
    """Limits on a search; None means no limit. Wall-clock time only bounds the search,
    it never influences which interleavings are run."""

    max_executions: int | None = None
    max_seconds: float | None = None
    max_steps_per_execution: int = 100_000


@attrs.frozen
class Progress:
    """What `explore` reports to its `progress` callback: executions and steps run so far,
    distinct states (None when the strategy does not key states), seconds elapsed."""

    executions: int
    steps: int
    states: int | None
    elapsed: float
    complete: int | None = None  # executions run to a final state, where the search counts them


class ProgressReporter:
    """Calls `progress` with a `Progress` at most once every `every` seconds, and always
    when told the search is over (`final`); does nothing without a callback. `states` is
    asked only when a report is due, as counting them may cost more than an execution's
    bookkeeping should."""

    def __init__(self, progress: Callable[[Progress], None] | None, every: float) -> None:
        self.progress, self.every = progress, every
        self.started = self.last = time.monotonic()

    def __call__(self, executions: int, steps: int, states: Callable[[], int | None],
                 final: bool = False, complete: int | None = None) -> None:
        now = time.monotonic()
        if self.progress is None or (not final and now - self.last < self.every):
            return
        self.last = now
        self.progress(Progress(executions, steps, states(), now - self.started, complete))


@attrs.frozen
class Result:
    """A search's verdict, what it covered, and the run that shows a violation (for a
    single-run strategy: its run, whatever the verdict)."""

    verdict: Verdict
    coverage: Coverage
    violation: Violation | None = None
    run: Run | None = None
    found_in: int | None = None  # the execution (1-based) in which the violation was found
    reached: tuple[str, ...] = ()  # `sometimes` properties reached
    unreached: tuple[str, ...] = ()
    elapsed: float = 0.0
    #: what the search was expected to cost, estimated before it ran (scheduler.estimate);
    #: `estimate.off_by(executions)` says how far off it was
    estimate: Any = None

    @property
    def ok(self) -> bool:
        return self.verdict is Verdict.PASS

    @property
    def executions(self) -> int:
        return self.coverage.executions

    @property
    def steps(self) -> int:
        return self.coverage.steps

    @property
    def states(self) -> int | None:
        return self.coverage.states

    @property
    def counterexample(self) -> tuple[Step, ...]:
        """The violating run's steps, up to the violation (empty without a violation)."""
        return self.run.steps if self.violation is not None and self.run is not None else ()

    @property
    def preemptions(self) -> int | None:
        """The counterexample's preemptions."""
        return self.run.preemptions() if self.violation is not None and self.run is not None else None


class _Violated(Exception):
    def __init__(self, violation: Violation) -> None:
        self.violation = violation


def explore(
    program: Program,
    strategy: Strategy,
    properties: Iterable[Property] = (),
    *,
    bounds: str = "(none)",
    budget: Budget = Budget(),
    progress: Callable[[Progress], None] | None = None,
    progress_every: float = 1.0,
    on_run: Callable[[Run], None] | None = None,
    checkpoint: Checkpointing | None = None,
    resume: SearchState | None = None,
) -> Result:
    """Explore `program` under `strategy`, checking `properties` (and the built-in
    deadlock check). `bounds` names the program's bounds in the result; `progress` is
    called every `progress_every` seconds and once at the end; `on_run` receives every
    execution's run. Raises PropertyScopeError when the strategy cannot check a
    property, NondeterminismError when the program is not deterministic, and on Ctrl-C
    (a KeyboardInterrupt anywhere in the search, a nested one's included) `Interrupted`,
    whose `partial` is this search's Result so far, with verdict INTERRUPTED. With
    `checkpoint`, the search's state is saved as the module docstring says; with `resume`
    (a state `checkpoint` saved, of a search of this program with a fresh `strategy` of
    the same kind and settings) the search goes on from there and ends as the search it
    was taken from would have (CheckpointError when the state does not fit `strategy`)."""
    return run_to_end(exploring(program, strategy, properties, bounds=bounds, budget=budget, progress=progress,
                                progress_every=progress_every, on_run=on_run, checkpoint=checkpoint, resume=resume))


def run_to_end(search: Generator[int, None, Result]) -> Result:
    """The Result of a search started with `exploring`, run to its end."""
    while True:
        try:
            next(search)
        except StopIteration as done:
            return done.value


def exploring(
    program: Program,
    strategy: Strategy,
    properties: Iterable[Property] = (),
    *,
    bounds: str = "(none)",
    budget: Budget = Budget(),
    progress: Callable[[Progress], None] | None = None,
    progress_every: float = 1.0,
    on_run: Callable[[Run], None] | None = None,
    checkpoint: Checkpointing | None = None,
    resume: SearchState | None = None,
) -> Generator[int, None, Result]:
    """`explore` one execution at a time: a generator that yields the steps applied so
    far after each execution and returns the Result (so that a caller can run several
    searches side by side, as the portfolio does: strategies/portfolio.py). Closing it
    early releases what the search holds."""
    properties = list(properties)
    if resume is not None:
        try:
            strategy = strategy.load(resume.strategy)
        except ValueError as error:
            raise CheckpointError(f"cannot resume: {error}") from error
    refusal = strategy.refuse(properties)
    if refusal is not None:
        raise PropertyScopeError(refusal)
    checks = Checks(properties)
    interner = HistoryInterner() if strategy.keys_states else None
    if resume is not None and interner is not None:
        interner = resume.interner  # the table that gives the saved state keys' history ids their meaning
    restorer = Restorer(program, interner) if strategy.restores else None
    limit = budget.max_steps_per_execution
    executions = complete = steps = 0
    cut: dict[str, int] = {}
    before = 0.0  # seconds of search before this process's part of it
    last_execution: Execution | None = None  # the last execution run (a restorer's, for a checkpoint)
    if resume is not None:
        executions, complete, steps, before = resume.executions, resume.complete, resume.steps, resume.elapsed
        cut = dict(resume.cut)
        checks.reached = set(resume.reached)
        if restorer is not None and resume.restorer is not None:
            last_execution = _rebuild(program, interner, restorer, resume.last_path, resume.restorer)
    violation: Violation | None = None
    found: Run | None = None
    last: Run | None = None
    finished = False
    interrupted = False
    started = time.monotonic()
    reporter = ProgressReporter(progress, progress_every)
    boundary = resume is not None  # the strategy, the counters and the checks agree: a checkpoint may be taken
    written, last_written = -1, started

    def report(final: bool = False) -> None:
        reporter(executions, steps, lambda: strategy.facts().states, final, complete)

    def take() -> None:
        """Save the state at this boundary (once per boundary)."""
        nonlocal written, last_written
        if checkpoint is None or written == executions:
            return
        saved = restorer.checkpoint() if restorer is not None else None
        path = ()  # the path the next execution restores along (a restoring search's)
        if saved is not None and last_execution is not None:
            path = tuple(Choice(s.actor, s.effect, r)
                         for s, r in zip(last_execution.steps, last_execution.runnable_log, strict=True))
        checkpoint.save(SearchState(strategy.save(), interner, executions, complete, dict(cut), steps,
                                    frozenset(checks.reached), before + time.monotonic() - started, path,
                                    RestorerState(*saved) if saved is not None else None))
        written, last_written = executions, time.monotonic()

    def exhausted() -> bool:
        return ((budget.max_executions is not None and executions >= budget.max_executions)
                or (budget.max_seconds is not None and time.monotonic() - started > budget.max_seconds))

    try:
        if resume is None:
            strategy.start(program.choice_names(), lambda chooser: dry_run(program, chooser, limit))
        keep_runs = on_run is not None or strategy.facts().kind is Kind.SINGLE_RUN
        while True:
            if checkpoint is not None and boundary:
                if checkpoint.stop():
                    take()
                    raise KeyboardInterrupt
                if time.monotonic() - last_written >= checkpoint.every or exhausted():
                    take()  # (before a budget stops the search, which it does once asked for a prefix)
            boundary = False
            prefix = strategy.next_execution()
            if prefix is None:
                finished = True
                break
            if exhausted():
                break
            execution = None
            try:
                if restorer is not None and executions > 0:
                    execution = restorer.restore(prefix.checked, prefix.final)
                if execution is None:
                    execution = Execution(program, interner, footprints=True)
            except ProtocolError as error:
                raise _model_failure(error, execution, executions + 1) from error
            if executions == 0:
                if interner is not None:  # before the first choice asks for a state key
                    check_fingerprint(execution.world, program.name, strategy.facts().algorithm)
                violation = checks.initial(execution.world)
            checked = prefix.checked

            def after(step: Step) -> None:
                nonlocal steps
                steps += 1
                if step.index >= checked:
                    found_here = checks.after(execution.world, step)
                    if found_here is not None:
                        raise _Violated(found_here)

            cause = None
            try:
                if violation is None:
                    rest = prefix.steps[len(execution.steps):] if execution.steps else prefix.steps
                    replay(execution, rest, diverged=prefix.diverged, after=after)
                while violation is None:
                    if not execution.runnable():
                        break
                    choice = strategy.choose(ChoicePoint(execution))
                    if type(choice) is Cut:
                        cause = choice.cause
                        break
                    if restorer is not None:
                        restorer.keep(execution)
                    step = execution.step(choice)
                    if len(execution.steps) > limit:
                        raise ProtocolError(f"an execution ran past {limit} steps; does an actor loop forever?")
                    after(step)
            except _Violated as stop:
                violation = stop.violation
            except ProtocolError as error:
                raise _model_failure(error, execution, executions + 1) from error
            if violation is not None:
                cause = VIOLATED
            elif cause is None:
                violation = checks.final(execution)
                cause = VIOLATED if violation is not None else None
            strategy.end_execution(ChoicePoint(execution))
            executions += 1
            if cause is None:
                complete += 1
            else:
                cut[cause] = cut.get(cause, 0) + 1
            boundary, last_execution = violation is None, execution
            if keep_runs or violation is not None:
                last = Run.of(execution)
                if on_run is not None:
                    on_run(last)
            if restorer is not None:
                restorer.ran(execution)  # closed once the next execution is restored from it
            else:
                execution.close()
            if violation is not None:
                found = last
                break
            report()
            yield steps
    except KeyboardInterrupt:
        interrupted = True
        if boundary:
            take()
    finally:
        if restorer is not None:
            restorer.close()
    elapsed = before + time.monotonic() - started
    report(final=True)
    reached, unreached = checks.reached_and_unreached()
    coverage = Coverage(strategy.facts(), bounds, executions, complete, dict(sorted(cut.items())), steps,
                        finished and violation is None, restorer.restored if restorer is not None else 0)
    common = dict(coverage=coverage, reached=reached, unreached=unreached, elapsed=elapsed)
    if violation is not None and (found is not None or not interrupted):  # a verdict, unless Ctrl-C beat its run
        return Result(VIOLATION, violation=violation, run=found, found_in=executions, **common)
    single = last if coverage.kind is Kind.SINGLE_RUN else None
    if interrupted:
        raise Interrupted(Result(INTERRUPTED, run=single, **common))
    if not finished:
        return Result(BUDGET, run=single, **common)
    if unreached:
        return Result(VACUOUS, run=single, **common)
    return Result(PASS, run=single, **common)


def _rebuild(program: Program, interner: HistoryInterner | None, restorer: Restorer, path: tuple[Choice, ...],
             saved: RestorerState) -> Execution:
    """After a checkpoint: run the last execution's path again off the record (no
    property checked, no step counted), keeping the saved states it kept, and hand it to
    the restorer as the execution the next one restores from."""
    execution = Execution(program, interner, footprints=True)
    depths = frozenset(saved.depths)
    restorer.keep_at(execution, depths)
    replay(execution, path, after=lambda step: restorer.keep_at(execution, depths))
    restorer.rebuild(execution, saved.values_upto, saved.mutable_at, saved.restored)
    return execution


def _model_failure(error: ProtocolError, execution: Execution | None, number: int) -> ModelFailure:
    run = None
    if execution is not None:
        try:
            final = execution.runnable()
        except ProtocolError:  # the failing code is `enabled()` itself
            final = ()
        run = Run(execution.program.name, execution.program.actor_names(), tuple(execution.steps),
                  tuple(execution.runnable_log), final, execution.ends(), execution.world)
        execution.close()
    failing = None
    if isinstance(error, ModelError) and error.effect is not None:
        failing = Choice(error.actor, error.effect)
    return ModelFailure(error, run, failing, number)


def dry_run(program: Program, chooser: Callable[[ChoicePoint], str], limit: int = 100_000) -> Run:
    """Run `program` once off the record, moving whom `chooser` picks at every choice
    point, until no actor can move (no properties are checked; an actor that runs past
    `limit` steps is reported as looping)."""
    return explore(program, _Chooser(chooser), budget=Budget(max_steps_per_execution=limit)).run


class _Chooser(SingleExecution):
    def __init__(self, chooser: Callable[[ChoicePoint], str]) -> None:
        self.chooser = chooser

    def choose(self, point: ChoicePoint) -> str:
        return self.chooser(point)

    def facts(self) -> Facts:
        return Facts(Kind.SINGLE_RUN, "a dry run off the record", "")


__all__ = ["BUDGET", "INTERRUPTED", "PASS", "VACUOUS", "VIOLATION", "Budget", "Interrupted", "ModelFailure", "Progress",
           "PropertyScopeError", "Result", "dry_run", "explore", "exploring", "run_to_end"]
