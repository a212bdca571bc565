"""The strategy interface, after shuttle's `Scheduler` trait, with the replay taken out
of the strategies' hands.

For each execution the explorer asks `next_execution()` for a prefix to replay (the
explorer replays it, checking every recorded step, in `scheduler.choices`), then
`choose(point)` at every choice point beyond it, with a read-only `ChoicePoint`; the
strategy answers an actor, or a `Cut` that ends the execution there. `end_execution(point)`
shows it where the execution stopped. A strategy cannot step or change an execution; a
wrapper around one cannot break it. `facts()` says what the search it drove covered.
"""

from __future__ import annotations

import abc
import pickle
import random
from collections.abc import Callable, Sequence

from unpack_race.scheduler.choice_point import FROM_THE_START, ChoicePoint, Cut, Prefix
from unpack_race.scheduler.coverage import Facts
from unpack_race.scheduler.properties import Property, Scope
from unpack_race.scheduler.run import Run

#: a dry run: runs the program once off the record with a chooser, returns the run
DryRun = Callable[[Callable[[ChoicePoint], str]], Run]

ALL_SCOPES = tuple(s.value for s in Scope)


class Strategy(abc.ABC):
    """What every search strategy implements (see the module docstring); `explore` drives
    it. To write one: `next_execution`, `choose` and `facts`; `refuse` for a property
    scope its reduction cannot preserve."""

    #: the property scopes whose verdicts the search preserves
    scopes: frozenset[Scope] = frozenset(Scope)

    #: True when the strategy reads `ChoicePoint.state_key()` (the explorer then interns
    #: the actors' histories)
    keys_states: bool = False

    #: True when every prefix after the first agrees, on its first `checked` steps, with
    #: the execution just run (a choice tree's backtracking): the explorer then restores
    #: the state there instead of replaying those steps (scheduler.restore)
    restores: bool = False

    #: why the strategy's state cannot be saved in a checkpoint (scheduler.checkpoint),
    #: as a sentence saying what to do instead; None when it can
    not_checkpointable: str | None = None

    def save(self) -> bytes:
        """The strategy's whole state, for a checkpoint: the strategy pickled (its
        choice tree, its visited set, its RNG: everything `choose` and `next_execution`
        read). Called only between executions. ValueError when it cannot be saved."""
        if self.not_checkpointable is not None:
            raise ValueError(self.not_checkpointable)
        return pickle.dumps(self, protocol=5)

    def load(self, saved: bytes) -> Strategy:
        """The strategy saved in `saved`, to go on with in place of this fresh one, which
        must be of the same kind (ValueError otherwise; that its settings are the same is
        the caller's to check, as scenarios/commands/checkpoints.py does, since `facts()`
        mixes settings with what the search found)."""
        if self.not_checkpointable is not None:
            raise ValueError(self.not_checkpointable)
        loaded = pickle.loads(saved)
        if type(loaded) is not type(self):
            raise ValueError(f"the checkpoint is of a {type(loaded).__name__} search, not a {type(self).__name__} one")
        return loaded

    #: which branches a probe of `scheduler.estimate` follows to estimate this search's
    #: cost (TREE, SLEEP_SETS or STATE_GRAPH there), None when no estimate applies
    estimate_rule: str | None = None

    def refuse(self, properties: Sequence[Property]) -> str | None:
        """Why this strategy cannot check one of `properties` (one line naming the
        property, the strategy and what to do), or None when it can check them all."""
        for prop in properties:
            if prop.scope not in self.scopes:
                return (
                    f"property {prop.name} reads {prop.describe_scope()}, which "
                    f"{self.facts().algorithm} does not preserve; use --strategy dfs"
                )
        return None

    def start(self, actors: tuple[str, ...], dry_run: DryRun) -> None:
        """Called once before the first execution, with the program's actors in program
        order and a way to run the program once off the record."""

    @abc.abstractmethod
    def next_execution(self) -> Prefix | None:
        """The prefix the next execution replays first; None when the search is over."""

    @abc.abstractmethod
    def choose(self, point: ChoicePoint) -> str | Cut:
        """The actor to move next, among `point.runnable` (never empty), or a Cut."""

    def end_execution(self, point: ChoicePoint) -> None:
        """Called after every execution, at the point where it stopped."""

    @abc.abstractmethod
    def facts(self) -> Facts:
        """What the search this strategy drove covers (see scheduler.coverage)."""


class SingleExecution(Strategy):
    """A strategy that drives exactly one execution (replays, drawn choices)."""

    not_checkpointable = "a single execution has nothing to resume: run it again"
    _started = False

    def next_execution(self) -> Prefix | None:
        if self._started:
            return None
        self._started = True
        return FROM_THE_START


class Sampling(Strategy):
    """A strategy that draws `runs` executions from the start, each one independently,
    with a private `random.Random(seed)` (nothing global is touched, so the same seed
    gives the same runs in any process)."""

    def __init__(self, runs: int, seed: int, what: str) -> None:
        if runs < 1:
            raise ValueError(f"{what} needs at least one run, got runs={runs}")
        self.runs = runs
        self.seed = seed
        self.rng = random.Random(seed)
        self.started = 0

    def next_execution(self) -> Prefix | None:
        if self.started >= self.runs:
            return None
        self.started += 1
        self.begin_run()
        return FROM_THE_START

    def begin_run(self) -> None:
        """Called as each run starts."""
