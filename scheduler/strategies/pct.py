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

The paper's guarantee (its Theorem 1): a run finds a given bug of depth d with
probability at least 1/(n k^(d-1)), where k bounds the steps of every execution. Here it
rests on two assumptions, which the coverage states: the bug's d-1 ordering constraints
can be met by changing priorities at counted steps (where more than one actor can move),
and k bounds the counted steps of every execution. k is not known before running: it is
estimated by one calibration run (a seeded random walk, off the record: its properties
are not checked and it is not counted as a run), or given as `k` (then a floor), and it
grows to the most counted steps any run has had. The bound is computed only over the
runs whose change points were drawn over at least the most counted steps seen, K:
each such run finds the bug with probability at least 1/(n k_run^(d-1)), so together
they all miss it with probability at most the product of (1 - 1/(n k_run^(d-1))). K is
the most seen, not a proven maximum; the coverage says so. (The paper draws each change
point uniformly on its own; drawing them distinct only makes any one placement of d-1
distinct points likelier, so the bound still holds.)

Seeded with a private `random.Random(seed)`: the same seed gives the same runs in any
process, and nothing global is touched.
"""

from __future__ import annotations

import math

from unpack_race.scheduler.choice_point import ChoicePoint
from unpack_race.scheduler.coverage import Facts, Kind
from unpack_race.scheduler.strategies.base import ALL_SCOPES, Sampling

CITATION = ("Burckhardt, Kothari, Musuvathi, Nagarakatte, A randomized scheduler with probabilistic "
            "guarantees of finding bugs, ASPLOS 2010")


class PCT(Sampling):
    """Sampled: `runs` runs of PCT for bugs of depth `depth`, seeded with `seed`; `k`
    floors the estimate of the steps per execution (see the module docstring). The
    coverage states the miss probability where the paper's theorem applies."""

    def __init__(self, runs: int, seed: int, depth: int = 3, k: int | None = None) -> None:
        super().__init__(runs, seed, "PCT")
        if depth < 1:
            raise ValueError(f"PCT's bug depth d is at least 1, got depth={depth}")
        if k is not None and k < 1:
            raise ValueError(f"an estimate of the number of steps k is at least 1, got k={k}")
        self.depth = depth
        self._k = k  # the largest number of counted steps known (None: not yet estimated)
        self._names: tuple[str, ...] = ()
        self._drawn_over: list[int] = []  # per run: the k its change points were drawn over
        self._most = 0  # the most counted steps of any run so far
        # the current run
        self._priorities: dict[str, int] = {}
        self._initial: dict[str, int] = {}
        self._change_points: dict[int, int] = {}  # counted step -> the priority it gives
        self._counted = 0

    # -- the strategy interface ------------------------------------------------------
    def start(self, actors, dry_run) -> None:
        self._names = tuple(actors)  # program order, never a set
        if self._k is None:
            walk = dry_run(lambda point: point.runnable[self.rng.randrange(len(point.runnable))])
            self._k = sum(1 for runnable in walk.runnable if len(runnable) > 1)

    def begin_run(self) -> None:
        values = list(range(self.depth, self.depth + len(self._names)))
        self.rng.shuffle(values)
        self._priorities = dict(zip(self._names, values))
        self._initial = dict(self._priorities)
        k = max(self.k, 1)
        points = self.rng.sample(range(1, k + 1), min(self.depth - 1, k))
        self._change_points = {point: i for i, point in enumerate(points, start=1)}
        self._counted = 0
        self._drawn_over.append(k)

    def choose(self, point: ChoicePoint) -> str:
        runnable = point.runnable
        if len(runnable) == 1:
            return runnable[0]
        self._counted += 1
        lowered = self._change_points.get(self._counted)
        if lowered is not None:
            self._priorities[self._highest(runnable)] = lowered
        return self._highest(runnable)

    def end_execution(self, point: ChoicePoint) -> None:
        self._most = max(self._most, self._counted)
        self._k = max(self._k or 0, self._counted)

    def facts(self) -> Facts:
        n, d, runs = len(self._names), self.depth, len(self._drawn_over)
        honest = [k for k in self._drawn_over if k >= self._most]
        miss = math.prod((1.0 - per_run(n, k, d)) for k in honest) if honest else 1.0
        guarantee = (
            f"miss probability for a depth-{d} bug at most {_show(miss)} over the {len(honest)} of {runs} runs whose "
            f"change points were drawn over at least K = {self._most} counted steps (the most any run had; "
            f"a count seen, not a proven maximum), assuming the bug's {d - 1} priority changes can fall on "
            f"counted steps (steps where more than one actor can move): each such run finds it with "
            f"probability at least 1/(n k^(d-1)) with n = {n} actors (Burckhardt et al. 2010, Theorem 1)"
        )
        if runs > len(honest):
            guarantee += f"; the {runs - len(honest)} runs drawn over fewer steps are left out of the bound"
        settings = {"runs": self.runs, "seed": self.seed, "depth": d, "k": self.k}
        return Facts(Kind.SAMPLED, f"PCT depth {d}", CITATION, settings, ALL_SCOPES, guarantee)

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

    def _highest(self, runnable) -> str:
        return max(runnable, key=self._priorities.__getitem__)


def per_run(n: int, k: int, d: int) -> float:
    """1/(n k^(d-1)), the paper's lower bound on one run's chance of finding a given
    depth-d bug with n actors and k steps (k < 1 counts as 1); 0.0 where it is below the
    smallest float (a deep bug over many steps)."""
    try:
        return min(1.0, 1.0 / (max(n, 1) * max(k, 1) ** (d - 1)))
    except OverflowError:  # n k^(d-1) beyond the largest float
        return 0.0


def miss_probability(n: int, k: int, d: int, runs: int) -> float:
    """(1 - 1/(n k^(d-1)))^runs: the bound on the chance that `runs` runs, each drawn over
    k steps, all miss a given depth-d bug."""
    if runs <= 0:
        return 1.0
    p = per_run(n, k, d)
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
