"""The search options of the command line, built from the strategy registry, and the
one function that turns them into a search: which strategy, its settings, the budget."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from unpack_race.scheduler.explore import Budget, Progress, Result
from unpack_race.scheduler.strategies.registry import REGISTRY, OptionError, options, search

__all__ = ["OptionError", "add_strategy_options", "run_search"]

#: the options `compare` offers: it always runs DFS
COMPARE_OPTIONS = ("state_caching",)


def add_strategy_options(parser: argparse.ArgumentParser, *, choose: bool = True) -> None:
    group = parser.add_argument_group("search")
    if choose:
        group.add_argument("--strategy", choices=tuple(REGISTRY), default="dfs",
                           help="; ".join(f"{e.name}: {e.summary}" for e in REGISTRY.values()))
    for option in options().values():
        if not choose and option.name not in COMPARE_OPTIONS:
            continue
        flag = f"--{option.flag}"
        if option.kind is bool:
            group.add_argument(flag, dest=option.name, action=argparse.BooleanOptionalAction,
                               default=option.default, help=option.help)
        elif option.kind is int:
            group.add_argument(flag, dest=option.name, type=int, default=option.default,
                               metavar="N", help=option.help)
        else:
            group.add_argument(flag, dest=option.name, choices=option.choices or None,
                               default=option.default, help=option.help)
    group.add_argument("--max-executions", type=int, default=None, metavar="N",
                       help="stop after N executions (exit 4 if no verdict by then)")
    group.add_argument("--max-seconds", type=float, default=None, metavar="T",
                       help="stop after T seconds of wall-clock time (exit 4 if no verdict by then)")
    group.add_argument("--quiet", action="store_true", help="no progress lines on stderr")


def run_search(built, args: argparse.Namespace, progress: Callable[[Progress], None] | None) -> Result:
    budget = Budget(max_executions=args.max_executions, max_seconds=args.max_seconds)
    name = getattr(args, "strategy", "dfs")
    given = {o.name: getattr(args, o.name) for o in REGISTRY[name].options if hasattr(args, o.name)}
    return search(name, built.program, built.properties, bounds=built.bounds, budget=budget,
                  progress=progress, **given)
