"""POS, partial order sampling: Yuan, Yang, Gu, "Partial order aware concurrency
sampling", CAV 2018.

Every actor's next step (its pending effect, the paper's "event") holds a random
priority, drawn when the step first becomes an actor's next one. At every choice the
runnable actor whose next step has the highest priority moves. After a step e, the
priorities of the other actors' next steps that race with e are drawn afresh; the others
keep theirs. Two steps race when their footprints conflict: e's footprint is taken in the
world where e ran, each pending step's in the current world
(`execution.pending(a).footprint(execution.world)`), as `Footprint.conflicts_with` says.

Keeping the priority of independent steps is what makes POS partial-order aware: the
orders of commuting steps that a plain random walk samples as different schedules stop
diluting the samples, and the sampling comes closer to uniform over partial orders.
Pending steps of blocked actors keep (or get redrawn) priorities like any other, so that a
step that becomes enabled later is ranked the same way.

Seeded with a private `random.Random(seed)`: the same seed gives the same runs in any
process, and nothing global is touched.
"""

from __future__ import annotations

import random

from unpack_race.scheduler.effect import Footprint
from unpack_race.scheduler.kernel import Execution
from unpack_race.scheduler.strategies.base import Strategy


class POS(Strategy):
    exhaustive = False

    def __init__(self, runs: int, seed: int) -> None:
        if runs < 1:
            raise ValueError(f"POS needs at least one run, got runs={runs}")
        self.runs = runs
        self.seed = seed
        self._rng = random.Random(seed)
        self._started = 0
        self._priorities: dict[str, float] = {}  # actor -> priority of its next step
        self._last: tuple[str, Footprint] | None = None  # the step just chosen, and its footprint
        self._redrawn: tuple[str, ...] = ()

    def begin_execution(self) -> bool:
        if self._started >= self.runs:
            return False
        self._started += 1
        self._priorities, self._last, self._redrawn = {}, None, ()
        return True

    def choose(self, execution: Execution, runnable: list[str]) -> str | None:
        self._after_last_step(execution)
        for actor in execution.actors:  # program order: draws happen in a fixed order
            if actor.pending is not None and actor.name not in self._priorities:
                self._priorities[actor.name] = self._rng.random()
        chosen = max(runnable, key=self._priorities.__getitem__)
        effect = execution.pending(chosen)
        self._last = (chosen, effect.footprint(execution.world))
        return chosen

    def _after_last_step(self, execution: Execution) -> None:
        """The last chosen actor has a new next step (it gets a fresh priority below);
        the other actors' next steps that race with the step it took are redrawn."""
        self._redrawn = ()
        if self._last is None:
            return
        moved, footprint = self._last
        self._last = None
        del self._priorities[moved]
        redrawn = []
        for actor in execution.actors:
            if actor.name == moved or actor.pending is None or actor.name not in self._priorities:
                continue
            if actor.pending.footprint(execution.world).conflicts_with(footprint):
                self._priorities[actor.name] = self._rng.random()
                redrawn.append(actor.name)
        self._redrawn = tuple(redrawn)

    # -- what the tests and reports may look at ----------------------------------------
    def priorities(self) -> dict[str, float]:
        """The priorities of the actors' next steps (a copy) as of the last choice."""
        return dict(self._priorities)

    def redrawn(self) -> tuple[str, ...]:
        """The actors whose next step got a new priority at the last choice because it
        races with the step before, in program order."""
        return self._redrawn

    def describe(self) -> str:
        return f"POS, seed {self.seed}"

    def claim(self, bounds: str, executions: int, violations: int) -> str:
        return (
            f"sampled, not exhaustive: {executions} runs of POS, seed {self.seed}, "
            f"bounds {bounds}: {violations} violations"
        )
