"""PCT, probabilistic concurrency testing: Burckhardt, Kothari, Musuvathi, Nagarakatte,
"A randomized scheduler with probabilistic guarantees of finding bugs", ASPLOS 2010.

Each run of depth d:

- gives the n actors the distinct priorities d, d+1, ..., d+n-1 in a random order;
- draws d-1 priority change points k_1, ..., k_{d-1} among the counted steps 1..k (distinct
  when k allows; change point k_i carries the low priority i);
- at every step runs the runnable actor with the highest priority. At counted step k_i,
  before choosing, the actor that would run drops to priority i, so a change point is a
  preemption (or lets a lower actor overtake one that merely keeps running).

A step is counted only when more than one actor is runnable, so k counts real choices
and a change point never lands on a step where there is nothing to choose. With d=1 there
are no change points: an actor is only ever preempted when it blocks or finishes.

The paper's guarantee: a run finds a given bug of depth d with probability at least
1/(n k^(d-1)), so r runs all miss it with probability at most (1 - 1/(n k^(d-1)))^r.
(The paper draws each change point uniformly on its own; drawing them distinct only makes
any one placement of d-1 distinct points likelier, so the bound still holds.)

k is not known before running. This strategy uses, for each run, the largest number of
counted steps seen so far. Before the first run it estimates k with one calibration run:
a seeded random walk of a fresh execution of the same program, outside the explorer
(its properties are not checked, and it is not counted as a run). Pass `k` to give an
estimate instead; it then acts as a floor. The claim reports the k in force at the end,
the maximum over the estimate (or the calibration walk) and every run. The bound assumes that each run's change
points were drawn over at least as many steps as that run took; a run longer than every
run before it drew them over fewer, so for that run the bound is an approximation.

Seeded with a private `random.Random(seed)`: the same seed gives the same runs in any
process, and nothing global is touched.
"""

from __future__ import annotations

import math
import random

from unpack_race.scheduler.kernel import Execution
from unpack_race.scheduler.strategies.base import Strategy

#: the calibration run stops here if the program has not finished (an actor looping forever
#: is reported by the explorer itself, on the first real run)
CALIBRATION_STEP_LIMIT = 100_000


class PCT(Strategy):
    exhaustive = False

    def __init__(self, runs: int, seed: int, depth: int = 3, k: int | None = None) -> None:
        if runs < 1:
            raise ValueError(f"PCT needs at least one run, got runs={runs}")
        if depth < 1:
            raise ValueError(f"PCT's bug depth d is at least 1, got depth={depth}")
        if k is not None and k < 1:
            raise ValueError(f"an estimate of the number of steps k is at least 1, got k={k}")
        self.runs = runs
        self.seed = seed
        self.depth = depth
        self._rng = random.Random(seed)
        self._k = k  # the largest number of counted steps known (None: not yet estimated)
        self._actors = 0
        self._started = 0
        # the current run
        self._priorities: dict[str, int] = {}
        self._initial: dict[str, int] = {}
        self._change_points: dict[int, int] = {}  # counted step -> the priority it gives
        self._counted = 0
        self._drawn = False

    # -- the strategy interface ------------------------------------------------------
    def begin_execution(self) -> bool:
        if self._started >= self.runs:
            return False
        self._started += 1
        self._priorities, self._initial, self._change_points = {}, {}, {}
        self._counted = 0
        self._drawn = False
        return True

    def choose(self, execution: Execution, runnable: list[str]) -> str | None:
        if not self._drawn:
            self._draw(execution)
        if len(runnable) == 1:
            return runnable[0]
        self._counted += 1
        lowered = self._change_points.get(self._counted)
        if lowered is not None:
            self._priorities[self._highest(runnable)] = lowered
        return self._highest(runnable)

    def end_execution(self, execution: Execution) -> None:
        self._k = max(self._k or 0, self._counted)

    def describe(self) -> str:
        return f"PCT depth {self.depth}, seed {self.seed}"

    def claim(self, bounds: str, executions: int, violations: int) -> str:
        n, k, d = self._actors, self.k, self.depth
        return (
            f"sampled, not exhaustive: {executions} runs of PCT depth {d} ({n} actors, {k} steps), "
            f"seed {self.seed}, bounds {bounds}: {violations} violations; miss probability for a "
            f"depth-{d} bug at most (1 - 1/({n} * {k}^{d - 1}))^{executions} = "
            f"{_show(miss_probability(n, k, d, executions))}"
        )

    # -- what the tests and reports may look at ----------------------------------------
    @property
    def k(self) -> int:
        """The number of counted steps the next run's change points are drawn over."""
        return self._k or 0

    def priorities(self) -> dict[str, int]:
        """The current run's priorities now (a copy); the highest runnable one moves."""
        return dict(self._priorities)

    def initial_priorities(self) -> dict[str, int]:
        """The priorities the current run started with, before any change point."""
        return dict(self._initial)

    def change_points(self) -> dict[int, int]:
        """The current run's change points: counted step -> the priority it gives."""
        return dict(self._change_points)

    # -- inside ------------------------------------------------------------------------
    def _draw(self, execution: Execution) -> None:
        names = list(execution.program.actor_names())  # program order, never a set
        self._actors = len(names)
        if self._k is None:
            self._k = self._calibrate(execution)
        values = list(range(self.depth, self.depth + len(names)))
        self._rng.shuffle(values)
        self._priorities = dict(zip(names, values))
        self._initial = dict(self._priorities)
        k = max(self._k, 1)
        points = self._rng.sample(range(1, k + 1), min(self.depth - 1, k))
        self._change_points = {point: i for i, point in enumerate(points, start=1)}
        self._drawn = True

    def _calibrate(self, execution: Execution) -> int:
        """Counted steps of one seeded random walk over a fresh execution."""
        walk = Execution(execution.program)
        counted = 0
        for _ in range(CALIBRATION_STEP_LIMIT):
            runnable = walk.runnable()
            if not runnable:
                break
            if len(runnable) > 1:
                counted += 1
            walk.step(runnable[self._rng.randrange(len(runnable))])
        return counted

    def _highest(self, runnable: list[str]) -> str:
        return max(runnable, key=self._priorities.__getitem__)


def miss_probability(n: int, k: int, d: int, runs: int) -> float:
    """(1 - 1/(n k^(d-1)))^runs: the paper's bound on the chance that `runs` runs of PCT
    depth d all miss a given depth-d bug, with n actors and k counted steps (k < 1 counts
    as 1: a program with no choice has one schedule)."""
    if runs <= 0:
        return 1.0
    p = 1.0 / (max(n, 1) * max(k, 1) ** (d - 1))
    if p >= 1.0:
        return 0.0
    return math.exp(runs * math.log1p(-p))


def _show(p: float) -> str:
    """Three significant digits, or as many as it takes (up to ten) not to round a
    probability below 1 up to 1."""
    shown = f"{p:.3g}"
    if shown == "1" and p < 1.0:
        shown = f"{p:.10g}"
    return shown
