"""Following a schedule that the program may no longer fit exactly: two tolerant
policies, each defined step by step, and exploration of every continuation of a run.

Strict replay (`strategies/replay.py`) stops at the first scheduled step that does not
fit. The policies here carry on instead, and record every place where the run leaves
the schedule (a `Departure`). In both, a scheduled step *fits* when its actor's pending
effect has the same kind and the same arguments, and it is taken only if that effect is
enabled. Neither policy ever moves an actor the schedule does not name at that point, and
every step taken is the actor's own next effect, so the steps taken are an execution of
the program: recorded again, they form a schedule that replays strictly.

SUBSEQUENCE (for candidate schedules while minimising): go through the scheduled steps in
order; take each step that fits; skip every other one ("skipped"). With `match="kind"`
a step fits when the pending effect merely has the same kind (its arguments may differ:
they often carry values the actor read earlier, which change when steps are removed);
the minimiser uses that, since whatever is taken is the actor's own next step.

RESYNC (for a schedule followed under another variant, or after a reordering): go
through the scheduled steps in order; for scheduled step s of actor A:
  1. s fits and A can move: take it;
  2. A's pending effect fits one of A's *later* scheduled steps: this code leaves s out,
     so skip s ("left-out"); A is back in step when that later step comes;
  3. otherwise A's code has taken another path: if A can move, A moves in s's place and
     does whatever its code does next ("replaced": the slot is kept, the effect is not);
  4. A is blocked, finished or unknown: skip s ("blocked", "finished", "unknown-actor").
So the relative order of the actors' turns is kept, an actor whose code does less than
the schedule says is skipped until it fits again, and one whose code does something else
keeps its turns. Scheduled steps left when no actor can move are recorded as departures
too; steps after a violation are simply not reached.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

from unpack_race.scheduler.effect import Effect, effect_name
from unpack_race.scheduler.explore import PASS, VIOLATION, Budget, explore
from unpack_race.scheduler.kernel import Execution, Step
from unpack_race.scheduler.program import Program
from unpack_race.scheduler.properties import Kind, Property, Violation
from unpack_race.scheduler.schedule import ScheduledStep
from unpack_race.scheduler.strategies.base import SingleExecution, Strategy
from unpack_race.scheduler.strategies.dfs import DepthFirst

SUBSEQUENCE, RESYNC = "subsequence", "resync"
SKIPPED, LEFT_OUT, REPLACED, BLOCKED, FINISHED, UNKNOWN_ACTOR = (
    "skipped", "left-out", "replaced", "blocked", "finished", "unknown-actor",
)


EXACT, KIND = "exact", "kind"


def fits(effect: Effect | None, step: ScheduledStep, match: str = EXACT) -> bool:
    """The pending effect is the scheduled one: same kind, and (for EXACT) same arguments."""
    if effect is None or effect_name(effect) != step.effect:
        return False
    return match == KIND or effect.args() == dict(step.args)


@attrs.frozen
class Departure:
    """A scheduled step the run did not take as written."""

    index: int  # the scheduled step's position in the schedule
    kind: str  # skipped, left-out, replaced, blocked, finished, unknown-actor
    expected: ScheduledStep
    pending: str | None = None  # what the actor's next effect was instead (describe())
    taken: int | None = None  # for "replaced": the index of the step taken in its place

    def describe(self) -> str:
        who, what = self.expected.actor, self.expected.describe()
        if self.kind == REPLACED:
            return f"step {self.index}: instead of {what}, {who} does {self.pending}"
        if self.kind == LEFT_OUT:
            return f"step {self.index}: {who}'s code leaves out {what} (its next step, {self.pending}, comes later in the schedule)"
        if self.kind == BLOCKED:
            return f"step {self.index}: {who} cannot {what} here: it is blocked"
        if self.kind == FINISHED:
            return f"step {self.index}: {who} has already finished and cannot {what}"
        if self.kind == UNKNOWN_ACTOR:
            return f"step {self.index}: the program has no actor {who} to {what}"
        return f"step {self.index}: {who}'s next effect is {self.pending}, not {what}; skipped"


@attrs.frozen
class Followed:
    """One run along a schedule under a policy, with the properties checked."""

    steps: tuple[Step, ...]
    violation: Violation | None
    departures: tuple[Departure, ...]
    terminal: bool  # no actor could move when the run ended
    unfinished: tuple[str, ...]  # actors (not daemons) with work left when the run ended
    runnable: tuple[tuple[str, ...], ...]  # the runnable actors before each step
    origins: tuple[int, ...]  # for each step taken, the scheduled step whose turn it took
    scheduled: int  # how many steps the schedule had
    reached: int  # how many scheduled steps were taken or departed from

    @property
    def verdict(self) -> str:
        return VIOLATION if self.violation is not None else PASS

    @property
    def exact(self) -> bool:
        """The run took every scheduled step it reached, as written."""
        return not self.departures

    def schedule(self) -> tuple[ScheduledStep, ...]:
        return tuple(ScheduledStep.of(s) for s in self.steps)

    def first_departure(self, kinds: Iterable[str] | None = None) -> Departure | None:
        wanted = set(kinds) if kinds is not None else None
        return next((d for d in self.departures if wanted is None or d.kind in wanted), None)


class Following(SingleExecution):
    """The strategy that carries out a policy (see the module docstring)."""

    exhaustive = False

    def __init__(self, steps: Sequence[ScheduledStep], policy: str = RESYNC, match: str = EXACT) -> None:
        if policy not in (SUBSEQUENCE, RESYNC) or match not in (EXACT, KIND) or (match == KIND and policy == RESYNC):
            raise ValueError(f"unknown policy {policy!r} with match {match!r}")
        self.steps = tuple(steps)
        self.policy = policy
        self.match = match
        self.position = 0
        self.departures: list[Departure] = []
        self.runnable_log: list[tuple[str, ...]] = []
        self.origins: list[int] = []
        self.execution: Execution | None = None
        self._later: dict[str, list[int]] = {}
        for i, s in enumerate(self.steps):
            self._later.setdefault(s.actor, []).append(i)

    def choose(self, execution: Execution, runnable: list[str]) -> str | None:
        self.execution = execution
        while self.position < len(self.steps):
            index = self.position
            self.position += 1
            chosen = self._consider(index, execution, runnable)
            if chosen is not None:
                self.runnable_log.append(tuple(runnable))
                self.origins.append(index)
                return chosen
        return None

    def _consider(self, index: int, execution: Execution, runnable: list[str]) -> str | None:
        expected = self.steps[index]
        name = expected.actor
        try:
            effect = execution.actor(name).pending
        except KeyError:
            self._depart(index, UNKNOWN_ACTOR, expected)
            return None
        if effect is None:
            self._depart(index, FINISHED, expected)
            return None
        if fits(effect, expected, self.match):
            if name in runnable:
                return name
            self._depart(index, BLOCKED, expected, effect.describe())
            return None
        if self.policy == SUBSEQUENCE:
            self._depart(index, SKIPPED, expected, effect.describe())
            return None
        if any(fits(effect, self.steps[j]) for j in self._later[name] if j > index):
            self._depart(index, LEFT_OUT, expected, effect.describe())
            return None
        if name in runnable:
            self._depart(index, REPLACED, expected, effect.describe(), taken=len(execution.steps))
            return name
        self._depart(index, BLOCKED, expected, effect.describe())
        return None

    def _depart(self, index, kind, expected, pending=None, taken=None) -> None:
        self.departures.append(Departure(index, kind, expected, pending, taken))

    def end_execution(self, execution: Execution) -> None:
        self.execution = execution
        if not execution.runnable():
            # no actor can move: the scheduled steps left cannot be taken
            while self.position < len(self.steps):
                index = self.position
                self.position += 1
                expected = self.steps[index]
                try:
                    actor = execution.actor(expected.actor)
                except KeyError:
                    self._depart(index, UNKNOWN_ACTOR, expected)
                    continue
                kind = FINISHED if actor.pending is None else BLOCKED
                pending = actor.pending.describe() if actor.pending is not None else None
                self._depart(index, kind, expected, pending)

    def describe(self) -> str:
        return f"schedule followed ({self.policy})"

    def claim(self, bounds: str, executions: int, violations: int) -> str:
        return f"one run along a schedule of {len(self.steps)} steps ({self.policy}), bounds {bounds}: {violations} violations"


def checked(properties: Iterable[Property]) -> list[Property]:
    """The properties one run can judge: every kind but `sometimes`."""
    return [p for p in properties if p.kind is not Kind.SOMETIMES]


def follow_schedule(
    program: Program,
    steps: Sequence[ScheduledStep],
    properties: Iterable[Property] = (),
    policy: str = RESYNC,
    match: str = EXACT,
) -> Followed:
    """Run `program` along `steps` under `policy`, checking `properties` after every step
    (`sometimes` properties are left out: one run cannot judge them)."""
    strategy = Following(steps, policy, match)
    result = explore(program, strategy, checked(properties))
    execution = strategy.execution
    taken = tuple(execution.steps) if execution is not None else ()
    if result.violation is not None and result.counterexample:
        taken = tuple(result.counterexample)
    terminal = execution is not None and not execution.runnable()
    return Followed(
        steps=taken,
        violation=result.violation,
        departures=tuple(strategy.departures),
        terminal=terminal,
        unfinished=tuple(a.name for a in execution.unfinished()) if execution is not None else (),
        runnable=tuple(strategy.runnable_log)[: len(taken)],
        origins=tuple(strategy.origins)[: len(taken)],
        scheduled=len(strategy.steps),
        reached=strategy.position,
    )


# -- every continuation of a run ---------------------------------------------------------


class Continuations(Strategy):
    """Every continuation of a fixed sequence of actor choices: the prefix is replayed,
    then a stateful DFS explores what can follow it."""

    exhaustive = True

    def __init__(self, prefix: Sequence[str]) -> None:
        self.prefix = tuple(prefix)
        self.inner = DepthFirst(state_caching=True)
        self.interner = self.inner.interner
        self._depth = 0

    def begin_execution(self) -> bool:
        self._depth = 0
        return self.inner.begin_execution()

    def choose(self, execution: Execution, runnable: list[str]) -> str | None:
        depth = self._depth
        self._depth += 1
        if depth < len(self.prefix):
            name = self.prefix[depth]
            if name not in runnable:
                raise ValueError(f"step {depth}: the prefix moves {name}, which cannot move (runnable: {runnable})")
            return name
        return self.inner.choose(execution, runnable)

    def end_execution(self, execution: Execution) -> None:
        self.inner.end_execution(execution)

    def distinct_states(self) -> int | None:
        return self.inner.distinct_states()

    def describe(self) -> str:
        return f"every continuation of a {len(self.prefix)}-step prefix (DFS with state caching)"

    def claim(self, bounds: str, executions: int, violations: int) -> str:
        return f"every continuation of a {len(self.prefix)}-step prefix: {executions} executions, {violations} violations"


@attrs.frozen
class ContinuationVerdict:
    verdict: str  # pass, violation, budget (the explorer's words)
    violation: Violation | None
    executions: int
    counterexample: tuple[Step, ...] = ()


def every_continuation(
    program: Program,
    prefix: Sequence[str],
    properties: Iterable[Property],
    max_executions: int | None = 20_000,
) -> ContinuationVerdict:
    """Explore every continuation of the run that moves the actors in `prefix` in turn,
    checking `properties` (without `sometimes`) along the prefix and every continuation."""
    result = explore(
        program, Continuations(prefix), checked(properties), budget=Budget(max_executions=max_executions)
    )
    return ContinuationVerdict(result.verdict, result.violation, result.executions, result.counterexample)


def run_actors(program: Program, actors: Sequence[str], footprints: bool = False) -> Execution:
    """Move the named actors in turn, without checking properties; raises ValueError when
    one of them cannot move at its turn."""
    execution = Execution(program, footprints=footprints)
    for i, name in enumerate(actors):
        if name not in execution.runnable():
            raise ValueError(f"step {i}: {name} cannot move")
        execution.step(name)
    return execution
