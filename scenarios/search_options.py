"""The search options of the command line, and the one function that turns them into a
search: which strategy, its settings, and the budget."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from unpack_race.scheduler.explore import Budget, Progress, SearchResult, explore
from unpack_race.scheduler.strategies import DepthFirst, RandomWalk
from unpack_race.scheduler.strategies.bfs import BreadthFirst
from unpack_race.scheduler.strategies.dpor import REDUCTIONS, Dpor
from unpack_race.scheduler.strategies.hypothesis_search import hypothesis_search
from unpack_race.scheduler.strategies.pct import PCT
from unpack_race.scheduler.strategies.pos import POS

STRATEGIES = {
    "dfs": "exhaustive depth-first search (state caching unless --no-state-cache; --preemption-bound K)",
    "dpor": "exhaustive, dynamic partial-order reduction with sleep sets (--reduction source|fg05)",
    "bfs": "exhaustive breadth-first search: a counterexample it finds is a shortest one",
    "random": "sampled: seeded random walk (--runs, --seed)",
    "pct": "sampled: PCT, probabilistic concurrency testing (--depth, --runs, --seed)",
    "pos": "sampled: POS, partial order sampling (--runs, --seed)",
    "hypothesis": "sampled: choices drawn by Hypothesis, which shrinks a counterexample (--runs, --seed)",
}


class OptionError(ValueError):
    """A search option out of range; one line for the user."""


def add_strategy_options(parser: argparse.ArgumentParser, *, choose: bool = True) -> None:
    group = parser.add_argument_group("search")
    if choose:
        group.add_argument("--strategy", choices=tuple(STRATEGIES), default="dfs",
                           help="; ".join(f"{k}: {v}" for k, v in STRATEGIES.items()))
        group.add_argument("--seed", type=int, default=0, help="seed of a sampling strategy")
        group.add_argument("--runs", type=int, default=1000, help="runs of a sampling strategy")
        group.add_argument("--depth", type=int, default=3, help="PCT's bug depth d")
        group.add_argument("--reduction", choices=REDUCTIONS, default="source", help="DPOR's race rule")
        group.add_argument("--preemption-bound", type=int, default=None, metavar="K",
                           help="DFS: only schedules with at most K preemptions (quick, shallow)")
    group.add_argument("--no-state-cache", dest="state_cache", action="store_false",
                       help="DFS without state caching: enumerate every interleaving")
    group.add_argument("--max-executions", type=int, default=None, metavar="N",
                       help="stop after N executions (exit 4 if no verdict by then)")
    group.add_argument("--max-seconds", type=float, default=None, metavar="T",
                       help="stop after T seconds of wall-clock time (exit 4 if no verdict by then)")
    group.add_argument("--quiet", action="store_true", help="no progress lines on stderr")


def make_strategy(args: argparse.Namespace):
    name = getattr(args, "strategy", "dfs")
    runs = getattr(args, "runs", 1)
    if name in ("random", "pct", "pos", "hypothesis") and runs < 1:
        raise OptionError(f"--runs must be at least 1, got {runs}")
    if name == "dfs":
        bound = getattr(args, "preemption_bound", None)
        if bound is not None and bound < 0:
            raise OptionError(f"--preemption-bound must be 0 or more, got {bound}")
        return DepthFirst(state_caching=args.state_cache, preemption_bound=bound)
    if name == "dpor":
        return Dpor(reduction=args.reduction)
    if name == "bfs":
        return BreadthFirst()
    if name == "random":
        return RandomWalk(runs, args.seed)
    if name == "pct":
        if args.depth < 1:
            raise OptionError(f"--depth must be at least 1, got {args.depth}")
        return PCT(runs, args.seed, depth=args.depth)
    if name == "pos":
        return POS(runs, args.seed)
    return None  # hypothesis: push-style, see run_search


def run_search(built, args: argparse.Namespace, progress: Callable[[Progress], None] | None) -> SearchResult:
    budget = Budget(max_executions=args.max_executions, max_seconds=args.max_seconds)
    if getattr(args, "strategy", "dfs") == "hypothesis":
        if args.runs < 1:
            raise OptionError(f"--runs must be at least 1, got {args.runs}")
        return hypothesis_search(built.program, built.properties, runs=args.runs, seed=args.seed,
                                 bounds=built.bounds, budget=budget)
    return explore(built.program, make_strategy(args), built.properties, bounds=built.bounds,
                   budget=budget, progress=progress, progress_every=2.0)
