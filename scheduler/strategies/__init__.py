"""Strategies: each answers one question, "which runnable actor moves next?".

One file each, named after the algorithm: exhaustive `dfs` (state caching, preemption
bounding), `sleep_dfs` (state caching with sleep sets), `dpor` (source sets or FG05,
with sleep sets), `optimal_dpor` (wakeup trees), `bfs` (shortest counterexamples) and
`portfolio` (the default: a DFS and a DPOR side by side, the first to end answers); sampling `random_walk`, `pct`, `pos`, `urw`,
`surw` and `hypothesis_search`; and `replay`, which follows a recorded schedule.
"""

from unpack_race.scheduler.strategies.base import Strategy
from unpack_race.scheduler.strategies.bfs import BreadthFirst
from unpack_race.scheduler.strategies.dfs import DepthFirst
from unpack_race.scheduler.strategies.dpor import Dpor
from unpack_race.scheduler.strategies.optimal_dpor import OptimalDpor
from unpack_race.scheduler.strategies.pct import PCT
from unpack_race.scheduler.strategies.pos import POS
from unpack_race.scheduler.strategies.random_walk import RandomWalk
from unpack_race.scheduler.strategies.replay import Replay, ReplayDivergence
from unpack_race.scheduler.strategies.sleep_dfs import SleepSetDepthFirst

__all__ = [
    "PCT", "POS", "BreadthFirst", "DepthFirst", "Dpor", "OptimalDpor", "RandomWalk", "Replay", "ReplayDivergence",
    "SleepSetDepthFirst", "Strategy",
]
