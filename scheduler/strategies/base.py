"""The strategy interface, after shuttle's `Scheduler` trait: a strategy is asked to start
each execution, then to pick the next actor at every step, and finally says what the
search it drove has proved."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import TYPE_CHECKING

from unpack_race.scheduler.properties import Property, Scope

if TYPE_CHECKING:
    from unpack_race.scheduler.kernel import Execution, HistoryInterner


class Strategy(abc.ABC):
    #: True when a finished search without violation is a proof within the bounds.
    exhaustive: bool = False

    #: set by strategies that key states (the explorer then reports distinct states).
    interner: HistoryInterner | None = None

    #: True when the strategy reads each step's footprint (the kernel then records it).
    needs_footprints: bool = False

    #: the property scopes whose every verdict the search preserves
    scopes: frozenset[Scope] = frozenset(Scope)

    def refuse(self, properties: Sequence[Property]) -> str | None:
        """Why this strategy cannot check one of `properties` (one line naming the
        property, the strategy and what to do), or None when it can check them all."""
        for prop in properties:
            if prop.scope not in self.scopes:
                return (
                    f"property {prop.name} reads {prop.describe_scope()}, which {self.describe()} "
                    f"does not preserve; use --strategy dfs"
                )
        return None

    @abc.abstractmethod
    def begin_execution(self) -> bool:
        """Prepare the next execution; False when the search is over."""

    @abc.abstractmethod
    def choose(self, execution: Execution, runnable: list[str]) -> str | None:
        """The actor to move next, among `runnable` (never empty, in program order).
        None ends this execution early: its continuation needs no exploring."""

    def end_execution(self, execution: Execution) -> None:
        """Called after every execution, finished or cut short."""

    def distinct_states(self) -> int | None:
        """How many distinct states were seen, when the strategy keeps count."""
        return None

    @abc.abstractmethod
    def describe(self) -> str:
        """The strategy and its settings, e.g. "random walk, seed 7"."""

    @abc.abstractmethod
    def claim(self, bounds: str, executions: int, violations: int) -> str:
        """What a search that ended normally has shown, in one honest sentence."""


class SingleExecution(Strategy):
    """A strategy that drives exactly one execution (replays, drawn choices)."""

    _started = False

    def begin_execution(self) -> bool:
        if self._started:
            return False
        self._started = True
        return True
