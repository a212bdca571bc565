"""Seeded random walk: at every step a uniformly random runnable actor moves.

A `random.Random(seed)` instance drives it, so the same seed gives the same runs in any
process; nothing global is touched.
"""

from __future__ import annotations

from unpack_race.scheduler.choice_point import ChoicePoint
from unpack_race.scheduler.coverage import Facts, Kind
from unpack_race.scheduler.strategies.base import ALL_SCOPES, Sampling


class RandomWalk(Sampling):
    """Sampled: `runs` random walks (every runnable actor equally likely at every choice),
    seeded with `seed`."""

    def __init__(self, runs: int, seed: int) -> None:
        super().__init__(runs, seed, "a random walk")

    def choose(self, point: ChoicePoint) -> str:
        runnable = point.runnable
        return runnable[self.rng.randrange(len(runnable))]

    def facts(self) -> Facts:
        return Facts(
            Kind.SAMPLED, "random walk", "", {"runs": self.runs, "seed": self.seed}, ALL_SCOPES,
            "no guarantee: each run picks a uniformly random runnable actor at every step; "
            "interleavings are not equally likely and none is promised",
        )
