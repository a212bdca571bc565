"""Strategies: each answers one question, "which runnable actor moves next?".

One file each: `dfs` (exhaustive depth-first search, with optional state caching),
`random_walk` (seeded sampling) and `replay` (follow a recorded schedule).
"""

from scheduler.strategies.base import Strategy
from scheduler.strategies.dfs import DepthFirst
from scheduler.strategies.random_walk import RandomWalk
from scheduler.strategies.replay import Replay, ReplayDivergence

__all__ = ["DepthFirst", "RandomWalk", "Replay", "ReplayDivergence", "Strategy"]
