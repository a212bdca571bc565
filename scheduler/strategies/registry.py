"""The one registry of strategies: each one's name, what it is, its options with their
defaults and limits, and how to make it. The command line builds its search options from
it and the bench picks its strategies from it, so a strategy added here is available to
both.

`search(name, program, properties, ...)` runs a named strategy with checked options:
a pull-style strategy under `explore`, the Hypothesis search (which drives its own
loop) through its function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs
from unpack_race.scheduler.checkpoint import Checkpointing, CheckpointError, SearchState
from unpack_race.scheduler.echo import echo
from unpack_race.scheduler.estimate import Estimate, EstimateError, estimate
from unpack_race.scheduler.interrupts import Interrupted
from unpack_race.scheduler.explore import Budget, Progress, Result, explore
from unpack_race.scheduler.program import Program
from unpack_race.scheduler.properties import Property
from unpack_race.scheduler.strategies.base import Strategy
from unpack_race.scheduler.strategies.bfs import BreadthFirst
from unpack_race.scheduler.strategies.dfs import DepthFirst
from unpack_race.scheduler.strategies.hypothesis_search import hypothesis_search
from unpack_race.scheduler.strategies.optimal_dpor import ALL_REDUCTIONS, make_dpor
from unpack_race.scheduler.strategies.pct import PCT
from unpack_race.scheduler.strategies.portfolio import portfolio_search
from unpack_race.scheduler.strategies.pos import POS
from unpack_race.scheduler.strategies.random_walk import RandomWalk
from unpack_race.scheduler.strategies.sleep_dfs import SleepSetDepthFirst
from unpack_race.scheduler.strategies.surw import SURW
from unpack_race.scheduler.strategies.urw import URW


class OptionError(ValueError):
    """A strategy option that is unknown or out of range; one line for the user."""


@attrs.frozen
class Option:
    """One setting of a strategy. `flag` is its command-line name (without dashes)."""

    name: str
    kind: type  # bool, int or str
    default: Any
    help: str
    flag: str
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()
    why_maximum: str = ""  # why there is a maximum, for the error message

    def check(self, value: Any) -> Any:
        """The value, checked; OptionError says what is allowed."""
        if value is None and self.default is None:
            return None
        if self.kind is bool:
            if not isinstance(value, bool):
                raise OptionError(f"--{self.flag} is on or off, got {echo(value)}")
            return value
        if self.kind is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise OptionError(f"--{self.flag} must be a whole number, got {echo(value)}")
            if self.minimum is not None and value < self.minimum:
                raise OptionError(f"--{self.flag} must be at least {self.minimum}, got {echo(value)}")
            if self.maximum is not None and value > self.maximum:
                why = f" ({self.why_maximum})" if self.why_maximum else ""
                raise OptionError(f"--{self.flag} must be at most {self.maximum:,}{why}, got {echo(value)}")
            return value
        if self.choices and value not in self.choices:
            raise OptionError(f"--{self.flag} must be one of {', '.join(self.choices)}, got {echo(value)}")
        return value


#: the most runs a sampling strategy is asked for: more than a search makes in weeks
MAX_RUNS = 10**9
#: seeds are 64-bit (and not negative: random.Random(-s) is random.Random(s))
MAX_SEED = 2**64 - 1
#: PCT's deepest bug depth: d-1 = 49 priority change points per run; its bound 1/(n k^(d-1))
#: says nothing long before (the paper's bugs have depth 1 to 3)
MAX_PCT_DEPTH = 50
#: the largest preemption bound: no schedule of these programs has that many steps
MAX_PREEMPTION_BOUND = 10**6

#: seconds between two progress reports of a search
PROGRESS_EVERY = 0.2

RUNS = Option("runs", int, 1000, "runs of a sampling strategy", "runs", minimum=1, maximum=MAX_RUNS,
              why_maximum="more runs than a search makes in weeks; --max-seconds bounds a search by time")
SEED = Option("seed", int, 0, "seed of a sampling strategy", "seed", minimum=0, maximum=MAX_SEED,
              why_maximum="a 64-bit seed")


@attrs.frozen
class Entry:
    name: str
    summary: str
    sampling: bool
    options: tuple[Option, ...]
    make: Callable[..., Strategy] | None = None  # a strategy explore() pulls from
    drive: Callable[..., Result] | None = None  # a search that drives its own loop

    def resolve(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Every option's value: the given one, checked, or its default. An option given
        that this strategy does not take (another strategy's, say `state_caching` under
        auto) is refused, naming the strategies that take it, rather than ignored: it
        would not do what it says. An unknown name is an error too. This is the one place
        of that rule: the command line passes only the options given on it."""
        known = {o.name: o for o in self.options}
        everything = {o.name for e in REGISTRY.values() for o in e.options}
        unknown = sorted(set(given) - everything)
        if unknown:
            raise OptionError(f"unknown strategy option {echo(unknown[0])}; the options are: "
                              f"{', '.join(sorted(everything))}")
        foreign = sorted(n for n in set(given) - set(known) if given[n] is not None)  # None: not given
        if foreign:
            raise OptionError(not_taken(foreign[0], given[foreign[0]], self.name))
        return {name: option.check(given.get(name, option.default)) for name, option in known.items()}

    def create(self, **given: Any) -> Strategy:
        """A new strategy with these options (a pull-style strategy only)."""
        if self.make is None:
            raise OptionError(f"strategy {self.name} drives its own search; use registry.search()")
        return self.make(**self.resolve(given))


def _entry(name, summary, sampling, options, make=None, drive=None) -> Entry:
    return Entry(name, summary, sampling, tuple(options), make, drive)


#: DFS (with state caching) and DPOR: how an execution reaches its branching point
RESTORE = Option("restore", bool, True, "DFS with state caching and DPOR: restore each branching point's state "
                 "from a saved state instead of replaying its prefix (--no-restore replays)", "restore")



def make_dfs(state_caching: bool = True, preemption_bound: int | None = None, sleep_sets: bool = False,
             restore: bool = True) -> DepthFirst:
    """The DFS the registry's options name: with sleep sets (strategies/sleep_dfs.py) or without."""
    if not sleep_sets:
        return DepthFirst(state_caching=state_caching, preemption_bound=preemption_bound, restore=restore)
    if not state_caching or preemption_bound is not None:
        raise OptionError("--sleep-sets goes with state caching and no preemption bound (sleep sets are stored "
                          "with the states they were explored with); drop --no-state-cache or --preemption-bound")
    return SleepSetDepthFirst(restore=restore)


REGISTRY: dict[str, Entry] = {e.name: e for e in (
    _entry("dfs", "exhaustive depth-first search (state caching unless --no-state-cache; --sleep-sets; "
           "--preemption-bound K)",
           False, [Option("state_caching", bool, True, "DFS: key states and cut those seen before", "state-cache"),
                   Option("preemption_bound", int, None, "DFS: only schedules with at most K preemptions (quick, "
                          "shallow)", "preemption-bound", minimum=0, maximum=MAX_PREEMPTION_BOUND,
                          why_maximum="more preemptions than any schedule has steps"),
                   Option("sleep_sets", bool, False, "DFS with state caching: sleep sets stored with the states "
                          "(fewer executions, the same states)", "sleep-sets"),
                   RESTORE],
           make=make_dfs),
    _entry("dpor", "exhaustive, dynamic partial-order reduction with sleep sets (--reduction source|fg05|optimal)",
           False, [Option("reduction", str, "source", "DPOR's race rule (optimal: with wakeup trees)", "reduction",
                          choices=ALL_REDUCTIONS), RESTORE],
           make=make_dpor),
    _entry("bfs", "exhaustive breadth-first search: a counterexample it finds is a shortest one", False, [],
           make=BreadthFirst),
    _entry("auto", "exhaustive: DFS with state caching and sleep sets and optimal DPOR side by side, step for "
           "step; the first to end gives the result", False, [RESTORE], drive=portfolio_search),
    _entry("random", "sampled: seeded random walk (--runs, --seed)", True, [RUNS, SEED], make=RandomWalk),
    _entry("pct", "sampled: PCT, probabilistic concurrency testing (--depth, --runs, --seed)", True,
           [RUNS, SEED, Option("depth", int, 3, "PCT's bug depth d", "depth", minimum=1, maximum=MAX_PCT_DEPTH,
                               why_maximum="beyond a few, PCT's bound 1/(n k^(d-1)) says nothing; the paper's "
                                           "bugs have depth 1 to 3")], make=PCT),
    _entry("pos", "sampled: POS, partial order sampling (--runs, --seed)", True, [RUNS, SEED], make=POS),
    _entry("urw", "sampled: URW, uniform random walk: each actor weighed by its steps left (--runs, --seed)", True,
           [RUNS, SEED], make=URW),
    _entry("surw", "sampled: SURW, uniform over the interleavings of the steps on shared resources (--runs, --seed)",
           True, [RUNS, SEED], make=SURW),
    _entry("hypothesis", "sampled: choices drawn by Hypothesis, which shrinks a counterexample (--runs, --seed)",
           True, [RUNS, SEED], drive=hypothesis_search),
)}


#: the strategy a search runs when none is named (the command line's check and compare, the
#: facade's check() and compare(), the pytest fixture): `auto` (strategies/portfolio.py), DFS
#: with state caching and sleep sets and optimal DPOR side by side, whichever ends first on
#: the program at hand giving the result, which says which one that was (its coverage
#: record's note); `--strategy dfs` is the plain stateful DFS of the earlier default
DEFAULT_STRATEGY = "auto"


def takers(name: str) -> list[str]:
    """The strategies that take the option `name`, in the registry's order."""
    return [e.name for e in REGISTRY.values() if any(o.name == name for o in e.options)]


def _spelled(option: Option, value: Any) -> str:
    """An option as the command line spells it: `--no-state-cache`, `--reduction optimal`."""
    if option.kind is bool and isinstance(value, bool):
        return f"--{'' if value else 'no-'}{option.flag}"
    return f"--{option.flag} {value}" if value is not None else f"--{option.flag}"


def not_taken(name: str, value: Any, strategy: str) -> str:
    """The one line that refuses option `name` (given as `value`) under `strategy`, which
    does not take it: which strategies do, and what to do."""
    option = options()[name]
    spelled, those = _spelled(option, value), takers(name)
    use = f"add --strategy {those[0]}" if len(those) == 1 else "add --strategy with one of them"
    return (f"{spelled} is an option of {', '.join(those)}, not of --strategy {strategy}, which would ignore it; "
            f"{use} to use it, or drop {spelled.split()[0]}")


#: the strategies a cost estimate (scheduler.estimate) can be made for, with the options
#: that leave them without one, for the message that refuses --estimate-probes elsewhere
ESTIMATED = "dfs (without --sleep-sets or --preemption-bound), dpor, bfs"


def estimate_rule(name: str, **given: Any) -> str | None:
    """The estimate rule (scheduler.estimate) of strategy `name` with these options, None
    when it has none: a strategy that drives its own search (auto, hypothesis), a sampler,
    DFS with sleep sets or a preemption bound."""
    chosen = entry(name)
    if chosen.make is None:
        return None
    return chosen.make(**chosen.resolve(given)).estimate_rule


def refuse_estimate(name: str, **given: Any) -> None:
    """Raise OptionError, in one line, when strategy `name` with these options has no
    estimate rule, so that --estimate-probes would be ignored; the command line and
    `search` share it."""
    if estimate_rule(name, **given) is None:
        spelled = " ".join(_spelled(options()[o], v) for o, v in sorted(given.items()) if v is not None)
        raise OptionError(f"--estimate-probes: --strategy {name}{' ' + spelled if spelled else ''} has no cost "
                          f"estimate (the "
                          f"strategies that have one: {ESTIMATED}); add --strategy dfs or dpor to estimate, or drop "
                          f"--estimate-probes")


def refuse_checkpoint(name: str) -> None:
    """Raise CheckpointError, in one line, when strategy `name` cannot be checkpointed (it
    drives its own search: auto, hypothesis); the command line and `search` share it."""
    chosen = entry(name)
    if chosen.drive is None:
        return
    again = ("it is seeded, so run it again with the same --seed" if chosen.sampling else
             "checkpoint one of its searches instead (--strategy dfs --sleep-sets, or --strategy dpor "
             "--reduction optimal)")
    raise CheckpointError(f"--strategy {name} drives its own search and cannot be checkpointed; {again}, "
                          f"or drop --checkpoint and --resume")


def entry(name: str) -> Entry:
    try:
        return REGISTRY[name]
    except KeyError:
        raise OptionError(f"unknown strategy {echo(name)}; the strategies are: {', '.join(REGISTRY)}") from None


def options() -> dict[str, Option]:
    """Every option of every strategy, once each, by name."""
    found: dict[str, Option] = {}
    for e in REGISTRY.values():
        for option in e.options:
            found.setdefault(option.name, option)
    return found


def search(
    name: str,
    program: Program,
    properties: Iterable[Property] = (),
    *,
    bounds: str = "(none)",
    budget: Budget = Budget(),
    progress: Callable[[Progress], None] | None = None,
    estimate_probes: int | None = None,
    on_estimate: Callable[[Estimate], None] | None = None,
    checkpoint: Checkpointing | None = None,
    resume: SearchState | None = None,
    **given: Any,
) -> Result:
    """Run the strategy `name` with the options `given` (see `Entry.resolve`); `progress`
    is called every PROGRESS_EVERY seconds of the search (the command line shows what it
    chooses of that: scenarios/commands/progress.py). With `estimate_probes`, a search
    whose strategy has an estimate rule (dfs, dpor, bfs) is first estimated from that many
    probes (scheduler.estimate, seed 0), `on_estimate` is told the estimate before the
    search starts, and the result carries it (`Result.estimate`; on Ctrl-C, the partial
    result does); `estimate_probes` under a strategy without an estimate rule is refused
    (OptionError), as an option the strategy does not take is (`Entry.resolve`).
    `checkpoint` and `resume`: see `explore` (a strategy that drives its own search cannot
    be checkpointed: CheckpointError)."""
    chosen = entry(name)
    values = chosen.resolve(given)
    if chosen.drive is not None:
        if checkpoint is not None or resume is not None:
            refuse_checkpoint(name)
        if estimate_probes is not None:
            refuse_estimate(name, **given)
        return chosen.drive(program, properties, bounds=bounds, budget=budget, progress=progress,
                            progress_every=PROGRESS_EVERY, **values)
    strategy = chosen.make(**values)
    if estimate_probes is not None:
        refuse_estimate(name, **given)
    estimated = None
    if estimate_probes is not None:
        try:
            estimated = estimate(program, strategy.estimate_rule, estimate_probes, restores=strategy.restores,
                                 bfs=isinstance(strategy, BreadthFirst), limit=budget.max_steps_per_execution)
        except EstimateError:
            estimated = None  # the search runs the model and reports its failure itself
        if estimated is not None and on_estimate is not None:
            on_estimate(estimated)
    try:
        result = explore(program, strategy, properties, bounds=bounds, budget=budget,
                         progress=progress, progress_every=PROGRESS_EVERY, checkpoint=checkpoint, resume=resume)
    except Interrupted as stop:
        if estimated is not None and isinstance(stop.partial, Result):
            stop.partial = attrs.evolve(stop.partial, estimate=estimated)
        raise
    return attrs.evolve(result, estimate=estimated) if estimated is not None else result
