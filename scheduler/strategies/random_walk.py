"""Seeded random walk: at every step a uniformly random runnable actor moves.

A `random.Random(seed)` instance drives it, so the same seed gives the same runs in any
process; nothing global is touched.
"""

from __future__ import annotations

import random

from unpack_race.scheduler.kernel import Execution
from unpack_race.scheduler.strategies.base import Strategy


class RandomWalk(Strategy):
    exhaustive = False

    def __init__(self, runs: int, seed: int) -> None:
        if runs < 1:
            raise ValueError(f"a random walk needs at least one run, got runs={runs}")
        self.runs = runs
        self.seed = seed
        self._rng = random.Random(seed)
        self._started = 0

    def begin_execution(self) -> bool:
        if self._started >= self.runs:
            return False
        self._started += 1
        return True

    def choose(self, execution: Execution, runnable: list[str]) -> str | None:
        return runnable[self._rng.randrange(len(runnable))]

    def describe(self) -> str:
        return f"random walk, seed {self.seed}"

    def claim(self, bounds: str, executions: int, violations: int) -> str:
        return (
            f"sampled, not exhaustive: random walk, {executions} runs, seed {self.seed}, "
            f"bounds {bounds}: {violations} violations"
        )
