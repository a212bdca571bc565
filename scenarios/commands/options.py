"""Options shared by several commands: the scenario parameters (one flag per parameter of
any scenario), the search options built from the strategy registry, the budget, and a
search's progress (shown by scenarios/commands/progress.py); and turning parsed
arguments back into the facade's arguments."""

from __future__ import annotations

import argparse
from typing import Any

from unpack_race.reports.estimate_text import estimate_line, estimate_progress
from unpack_race.reports.result_text import progress_line, settings_line
from unpack_race.scenarios.base import Param
from unpack_race.scenarios.commands.arguments import count, seconds, whole_number
from unpack_race.scenarios.commands.progress import Display
from unpack_race.scenarios.registry import SCENARIOS
from unpack_race.scheduler.estimate import DEFAULT_PROBES, STATE_GRAPH, Estimate
from unpack_race.scheduler.explore import Budget, Progress
from unpack_race.scheduler.strategies.registry import (
    DEFAULT_STRATEGY,
    REGISTRY,
    entry,
    estimate_rule,
    options,
    refuse_estimate,
    takers,
)

def all_params() -> list[Param]:
    """Every scenario's parameters, once each by name (the first scenario's wins)."""
    seen: dict[str, Param] = {}
    for sc in SCENARIOS.values():
        for p in sc.params:
            seen.setdefault(p.name, p)
    return list(seen.values())


def param_dest(param: Param) -> str:
    """Where argparse keeps parameter `param`'s flag, `--NAME` (the name, kebab-case as
    `list` shows it), in the parsed arguments: a Python identifier, as argparse derives one."""
    return "param_" + param.name.replace("-", "_")


def add_param_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("scenario parameters (defaults: see `unpack-race list`)")
    for p in all_params():
        flag, dest = "--" + p.name, param_dest(p)
        if isinstance(p.default, bool):
            group.add_argument(flag, dest=dest, action=argparse.BooleanOptionalAction, default=None, help=p.help)
        elif isinstance(p.default, int):
            group.add_argument(flag, dest=dest, type=whole_number(flag), default=None, metavar="N", help=p.help)
        else:
            group.add_argument(flag, dest=dest, choices=p.choices or None, default=None, help=p.help)


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The scenario parameters given on the command line, by name."""
    given = {p.name: getattr(args, param_dest(p), None) for p in all_params()}
    return {name: value for name, value in given.items() if value is not None}


def add_scenario_option(parser: argparse.ArgumentParser) -> None:
    """`--scenario REF`, for a command that reads a schedule: the schedule's scenario when
    it is defined outside unpack-race (scenarios/user_scenarios.py)."""
    parser.add_argument("--scenario", default=None, metavar="REF",
                        help="the schedule's scenario, when it is one of your own: FILE.py:NAME or MODULE:NAME "
                             "(the schedule's `source` field records it; a schedule never imports code by itself)")


def add_strategy_options(parser: argparse.ArgumentParser) -> None:
    """`--strategy` (default DEFAULT_STRATEGY) and every strategy option of the registry.
    An option's default is None here, "not given": `search_settings` passes on only the
    options given, and the registry fills in the defaults and refuses an option given under
    a strategy that does not take it (Entry.resolve)."""
    group = parser.add_argument_group("search")
    group.add_argument("--strategy", choices=tuple(REGISTRY), default=DEFAULT_STRATEGY,
                       help=f"default {DEFAULT_STRATEGY}; "
                            + "; ".join(f"{e.name}: {e.summary}" for e in REGISTRY.values()))
    for option in options().values():
        flag = f"--{option.flag}"
        help = f"{option.help} (strategies: {', '.join(takers(option.name))})"
        if option.kind is bool:
            group.add_argument(flag, dest=option.name, action=argparse.BooleanOptionalAction,
                               default=None, help=help)
        elif option.kind is int:
            group.add_argument(flag, dest=option.name, type=whole_number(flag), default=None,
                               metavar="N", help=help)  # its range: option.check, as the library's
        else:
            group.add_argument(flag, dest=option.name, choices=option.choices or None,
                               default=None, help=help)
    group.add_argument("--max-executions", type=count("--max-executions"), default=None, metavar="N",
                       help="stop after N executions (exit 4 if no verdict by then)")
    group.add_argument("--max-seconds", type=seconds("--max-seconds"), default=None, metavar="T",
                       help="stop after T seconds of wall-clock time (exit 4 if no verdict by then)")


def add_parallel_options(parser: argparse.ArgumentParser) -> None:
    """`--workers N` and `--dask [ADDRESS]`: the breadth-first search on several cores or a
    Dask cluster (scenarios/api/parallel.py)."""
    group = parser.add_argument_group("parallel search (with --strategy bfs)")
    group.add_argument("--workers", type=whole_number("--workers", minimum=1), default=None, metavar="N",
                       help="search with N worker processes on this machine, the visited set partitioned by state "
                            "hash (with --dask: N owners on the cluster, and a LocalCluster of N workers); the "
                            "states, verdict and counterexample are serial bfs's")
    group.add_argument("--dask", nargs="?", const="local", default=None, metavar="ADDRESS",
                       help="search on the Dask distributed cluster whose scheduler is at ADDRESS "
                            "(tcp://HOST:8786); without ADDRESS, or `local`, on a LocalCluster on 127.0.0.1")


def search_settings(args: argparse.Namespace) -> tuple[str, Budget, dict[str, Any]]:
    """The strategy, the budget and the strategy options given on the command line (those
    left out are None in `args`: see add_strategy_options). An option the strategy does
    not take is refused here, before anything runs (OptionError, exit 2, from the
    registry's one rule, Entry.resolve)."""
    budget = Budget(max_executions=args.max_executions, max_seconds=args.max_seconds)
    name = args.strategy
    given = {o: getattr(args, o) for o in options() if getattr(args, o, None) is not None}
    entry(name).resolve(given)
    return name, budget, given


def most_executions(strategy: str, budget: Budget, options: dict[str, Any]) -> int | None:
    """The most executions a search will run, where known: a sampling strategy's runs, or
    the budget's --max-executions, whichever is fewer (None for an exhaustive search
    without that budget)."""
    chosen = REGISTRY[strategy]
    runs = options.get("runs", next(o.default for o in chosen.options if o.name == "runs")) if chosen.sampling else None
    bounds = [n for n in (runs, budget.max_executions) if n is not None]
    return min(bounds) if bounds else None


def add_estimate_options(parser: argparse.ArgumentParser) -> None:
    """`--estimate-probes N` and `--no-estimate`: the cost estimate of an exhaustive search."""
    group = parser.add_argument_group("estimate (dfs, dpor, bfs)")
    group.add_argument("--estimate-probes", type=count("--estimate-probes"), default=None, metavar="N",
                       help="before an exhaustive search, estimate its executions, states and time from N random "
                            "probes (scheduler/estimate.py), show it with the progress, and say afterwards how far "
                            f"off it was; by default {DEFAULT_PROBES} for dpor and dfs --no-state-cache, and none for "
                            "a search with state caching (dfs, bfs), whose estimate is a lower bound, often ten "
                            "times too low, unless N is given; refused for a strategy without an estimate (auto, "
                            "the samplers, dfs --sleep-sets or --preemption-bound)")
    group.add_argument("--no-estimate", dest="estimate", action="store_false", default=True,
                       help="no estimate (the probes' time is saved)")


def estimate_probes(args: argparse.Namespace, strategy: str, options: dict[str, Any]) -> int | None:
    """The probes to estimate the search (`search_settings`'s strategy and options) with,
    None for no estimate (see add_estimate_options: a search keyed by states is estimated
    only when asked, its estimate being a lower bound). `--estimate-probes N` given for a
    strategy without an estimate (auto, the samplers, dfs --sleep-sets) is refused
    (OptionError, exit 2) rather than ignored."""
    if args.estimate_probes is not None:
        refuse_estimate(strategy, **options)
    if not getattr(args, "estimate", False):
        return None
    if args.estimate_probes is not None:
        return args.estimate_probes
    rule = estimate_rule(strategy, **options)
    return DEFAULT_PROBES if rule is not None and rule != STATE_GRAPH else None


class SearchProgress:
    """A search's progress callback, `show(label, p)`, on the command's display, with the
    estimate of what is left that the strategy, budget and cost estimate allow. With -v,
    the search's settings are shown first, once the search runs (so that a bad input is
    still refused in one line). `estimated(e)` shows the cost estimate at once (before
    the search starts) and uses it in every later line."""

    def __init__(self, shown: Display, strategy: str, budget: Budget, options: dict[str, Any]) -> None:
        self.shown, self.budget = shown, budget
        self.most = most_executions(strategy, budget, options)
        values = entry(strategy).resolve(options)  # every option's value, the defaults filled in
        self.settings = [settings_line(strategy, values, budget.max_executions, budget.max_seconds)]
        self.estimate: Estimate | None = None

    def _settings(self) -> None:
        while self.settings:
            self.shown.detail(self.settings.pop())

    def estimated(self, e: Estimate) -> None:
        self._settings()
        self.estimate = e
        self.shown.line(estimate_line(e))

    def __call__(self, label: str, p: Progress) -> None:
        self._settings()
        line = progress_line(label, p, self.most, self.budget.max_seconds)
        self.shown.progress(line + estimate_progress(self.estimate, p.executions, p.elapsed, p.complete), topic=label)


def search_progress(shown: Display, strategy: str, budget: Budget,
                    options: dict[str, Any]) -> SearchProgress | None:
    """A search's progress callback (SearchProgress); None when quiet."""
    if shown.quiet:
        return None
    return SearchProgress(shown, strategy, budget, options)
