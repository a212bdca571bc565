"""Following a schedule: strictly (`follow`, which stops at the first scheduled step that
does not fit), or by one of two tolerant policies for a program that may no longer fit it
exactly, each defined step by step; and exploration of every continuation of a run.

Strict replay (`follow`, with `strategies/replay.py`) stops at the first scheduled step
that does not fit. The policies here carry on instead, and record every place where the run leaves
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
from unpack_race.scheduler.choice_point import ChoicePoint, Cut
from unpack_race.scheduler.choices import Recorded
from unpack_race.scheduler.coverage import SCHEDULE_ENDED, Facts, Kind
from unpack_race.scheduler.effect import Effect, effect_name
from unpack_race.scheduler.explore import Budget, Result, explore
from unpack_race.scheduler.kernel import Status, Step
from unpack_race.scheduler.program import Program
from unpack_race.scheduler.properties import Kind as PropertyKind
from unpack_race.scheduler.properties import Property, Violation
from unpack_race.scheduler.run import Run
from unpack_race.scheduler.schedule import ScheduledStep
from unpack_race.scheduler.strategies.base import ALL_SCOPES, SingleExecution
from unpack_race.scheduler.strategies.dfs import DepthFirst
from unpack_race.scheduler.strategies.replay import Replay
from unpack_race.scheduler.verdict import Verdict

SUBSEQUENCE, RESYNC = "subsequence", "resync"
SKIPPED, LEFT_OUT, REPLACED, BLOCKED, FINISHED, UNKNOWN_ACTOR = (
    "skipped", "left-out", "replaced", "blocked", "finished", "unknown-actor",
)


EXACT, KIND = "exact", "kind"


def follow(program: Program, steps: Sequence[Recorded], finish: bool = False) -> Run:
    """Run `program` strictly along `steps` without checking properties and return the
    run; with `finish`, carry on past the schedule's end, moving the first runnable actor
    each time, so that a reader can see how every actor ends. Raises ReplayDivergence."""
    return explore(program, Replay(steps, finish)).run


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

    run: Run
    violation: Violation | None
    departures: tuple[Departure, ...]
    origins: tuple[int, ...]  # for each step taken, the scheduled step whose turn it took
    scheduled: int  # how many steps the schedule had
    reached: int  # how many scheduled steps were taken or departed from

    @property
    def steps(self) -> tuple[Step, ...]:
        return self.run.steps

    @property
    def runnable(self) -> tuple[tuple[str, ...], ...]:
        """The runnable actors before each step."""
        return self.run.runnable

    @property
    def terminal(self) -> bool:
        """No actor could move when the run ended."""
        return self.run.finished

    @property
    def unfinished(self) -> tuple[str, ...]:
        """The actors (not daemons) with work left when the run ended."""
        return tuple(e.name for e in self.run.ends if e.status is Status.RUNNING and not e.daemon)

    @property
    def verdict(self) -> Verdict:
        return Verdict.VIOLATION if self.violation is not None else Verdict.PASS

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

    def __init__(self, steps: Sequence[ScheduledStep], policy: str = RESYNC, match: str = EXACT) -> None:
        if policy not in (SUBSEQUENCE, RESYNC) or match not in (EXACT, KIND) or (match == KIND and policy == RESYNC):
            raise ValueError(f"unknown policy {policy!r} with match {match!r}")
        self.steps = tuple(steps)
        self.policy = policy
        self.match = match
        self.position = 0
        self.departures: list[Departure] = []
        self.origins: list[int] = []
        self._later: dict[str, list[int]] = {}
        for i, s in enumerate(self.steps):
            self._later.setdefault(s.actor, []).append(i)

    def choose(self, point: ChoicePoint) -> str | Cut:
        while self.position < len(self.steps):
            index = self.position
            self.position += 1
            chosen = self._consider(index, point)
            if chosen is not None:
                self.origins.append(index)
                return chosen
        return Cut(SCHEDULE_ENDED)

    def _consider(self, index: int, point: ChoicePoint) -> str | None:
        expected = self.steps[index]
        name = expected.actor
        if name not in point.actors:
            self._depart(index, UNKNOWN_ACTOR, expected)
            return None
        effect = point.pending(name)
        if effect is None:
            self._depart(index, FINISHED, expected)
            return None
        runnable = point.runnable
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
            self._depart(index, REPLACED, expected, effect.describe(), taken=point.depth)
            return name
        self._depart(index, BLOCKED, expected, effect.describe())
        return None

    def _depart(self, index, kind, expected, pending=None, taken=None) -> None:
        self.departures.append(Departure(index, kind, expected, pending, taken))

    def end_execution(self, point: ChoicePoint) -> None:
        if not point.runnable:
            # no actor can move: the scheduled steps left cannot be taken
            while self.position < len(self.steps):
                index = self.position
                self.position += 1
                expected = self.steps[index]
                if expected.actor not in point.actors:
                    self._depart(index, UNKNOWN_ACTOR, expected)
                    continue
                pending = point.pending(expected.actor)
                kind = FINISHED if pending is None else BLOCKED
                self._depart(index, kind, expected, pending.describe() if pending is not None else None)

    def facts(self) -> Facts:
        return Facts(Kind.SINGLE_RUN, f"schedule followed ({self.policy})", "", {"policy": self.policy},
                     ALL_SCOPES, "one run along a schedule; nothing is said of other interleavings")


def checked(properties: Iterable[Property]) -> list[Property]:
    """The properties one run can judge: every kind but `sometimes`."""
    return [p for p in properties if p.kind is not PropertyKind.SOMETIMES]


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
    run = result.run
    return Followed(
        run=run,
        violation=result.violation,
        departures=tuple(strategy.departures),
        origins=tuple(strategy.origins)[: len(run.steps)],
        scheduled=len(strategy.steps),
        reached=strategy.position,
    )


# -- every continuation of a run ---------------------------------------------------------


def every_continuation(
    program: Program,
    prefix: Sequence[Recorded],
    properties: Iterable[Property],
    max_executions: int | None = 20_000,
) -> Result:
    """Explore every continuation of the run along `prefix` (its steps replayed strictly;
    a `choices.Move` step names only the actor), checking `properties` (without
    `sometimes`) along the prefix and every continuation, by DFS with state caching."""
    return explore(program, DepthFirst(state_caching=True, root=prefix), checked(properties),
                   budget=Budget(max_executions=max_executions))
