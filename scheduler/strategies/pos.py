"""POS, partial order sampling: Yuan, Yang, Gu, "Partial order aware concurrency
sampling", CAV 2018.

Every actor's next step (its pending effect, the paper's "event") holds a random
priority, drawn when the step first becomes an actor's next one. At every choice the
runnable actor whose next step has the highest priority moves. After a step e, the
priorities of the other actors' next steps that race with e are drawn afresh; the others
keep theirs. Two steps race when their footprints conflict: e's footprint is taken in the
world where e ran, each pending step's in the current world
(`point.footprint(a)`), as `Footprint.conflicts_with` says.

Keeping the priority of independent steps is what makes POS partial-order aware: the
orders of commuting steps that a plain random walk samples as different schedules stop
diluting the samples, and the sampling comes closer to uniform over partial orders.
Pending steps of blocked actors keep (or get redrawn) priorities like any other, so that a
step that becomes enabled later is ranked the same way.

Seeded with a private `random.Random(seed)`: the same seed gives the same runs in any
process, and nothing global is touched.
"""

from __future__ import annotations

from unpack_race.scheduler.choice_point import ChoicePoint
from unpack_race.scheduler.coverage import Facts, Kind
from unpack_race.scheduler.effect import Footprint
from unpack_race.scheduler.strategies.base import ALL_SCOPES, Sampling


class POS(Sampling):
    """Sampled: `runs` runs of partial order sampling, seeded with `seed`; it reads the
    pending steps' footprints."""

    def __init__(self, runs: int, seed: int) -> None:
        super().__init__(runs, seed, "POS")
        self._priorities: dict[str, float] = {}  # actor -> priority of its next step
        self._last: tuple[str, Footprint] | None = None  # the step just chosen, and its footprint
        self._redrawn: tuple[str, ...] = ()

    def begin_run(self) -> None:
        self._priorities, self._last, self._redrawn = {}, None, ()

    def choose(self, point: ChoicePoint) -> str:
        self._after_last_step(point)
        for actor in point.unfinished():  # program order: draws happen in a fixed order
            if actor not in self._priorities:
                self._priorities[actor] = self.rng.random()
        chosen = max(point.runnable, key=self._priorities.__getitem__)
        self._last = (chosen, point.footprint(chosen))
        return chosen

    def _after_last_step(self, point: ChoicePoint) -> None:
        """The last chosen actor has a new next step (it gets a fresh priority below);
        the other actors' next steps that race with the step it took are redrawn."""
        self._redrawn = ()
        if self._last is None:
            return
        moved, footprint = self._last
        self._last = None
        del self._priorities[moved]
        redrawn = []
        for actor in point.unfinished():
            if actor == moved or actor not in self._priorities:
                continue
            if point.footprint(actor).conflicts_with(footprint):
                self._priorities[actor] = self.rng.random()
                redrawn.append(actor)
        self._redrawn = tuple(redrawn)

    # -- what the tests and reports may look at ----------------------------------------
    def priorities(self) -> dict[str, float]:
        """The priorities of the actors' next steps (a copy) as of the last choice."""
        return dict(self._priorities)

    def redrawn(self) -> tuple[str, ...]:
        """The actors whose next step got a new priority at the last choice because it
        races with the step before, in program order."""
        return self._redrawn

    def facts(self) -> Facts:
        return Facts(
            Kind.SAMPLED, "POS", "Yuan, Yang, Gu, Partial order aware concurrency sampling, CAV 2018",
            {"runs": self.runs, "seed": self.seed}, ALL_SCOPES,
            "no guarantee: runs sample partial orders more evenly than a random walk does, but none is promised",
        )
