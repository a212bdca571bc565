"""Breadth-first search over states, for the shortest counterexample.

States are keyed as in `dfs` with state caching (the world's fingerprint plus every
actor's interned history) and expanded level by level, so the first violation found has
the fewest steps of any. Generator frames cannot be copied, so each expansion replays
the recorded path to the state (the explorer checks it step by step), then takes one new
step; a state reached for the first time is queued with its path. Every transition is
taken once, so every property scope is preserved.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable

from unpack_race.scheduler.choice_point import ChoicePoint, Cut, Prefix
from unpack_race.scheduler.choices import Choice
from unpack_race.scheduler.coverage import Facts, Kind
from unpack_race.scheduler.estimate import STATE_GRAPH
from unpack_race.scheduler.strategies.base import ALL_SCOPES, Strategy

#: an execution that took its one new step: the state it reached is queued (or known)
EXPANDED = "expanded"


class BreadthFirst(Strategy):
    """Exhaustive breadth-first search over states: `BreadthFirst()`. A counterexample
    it finds is a shortest one. It keys states, so the world needs `fingerprint()`."""

    keys_states = True
    estimate_rule = STATE_GRAPH  # its executions: a transition each, plus each final state

    def __init__(self) -> None:
        self._queue: deque[tuple[Choice, ...]] = deque([()])
        self._visited: set[Hashable] = set()
        self._path: tuple[Choice, ...] | None = None
        self._child = 0
        self._width = 0
        self._taken: Choice | None = None

    def next_execution(self) -> Prefix | None:
        if self._path is not None and self._child + 1 < self._width:
            self._child += 1
        elif self._queue:
            self._path, self._child, self._width = self._queue.popleft(), 0, 0
        else:
            return None
        self._taken = None
        return Prefix(self._path, len(self._path))

    def choose(self, point: ChoicePoint) -> str | Cut:
        if self._taken is not None:
            return Cut(EXPANDED)
        if not self._path and not self._visited:
            self._visited.add(point.state_key())  # the initial state
        self._width = len(point.runnable)
        actor = point.runnable[self._child]
        self._taken = Choice(actor, point.pending(actor), point.runnable)
        return actor

    def end_execution(self, point: ChoicePoint) -> None:
        """Queue the state the new step reached, unless it was reached before."""
        if self._taken is not None and point.depth == len(self._path) + 1:
            key = point.state_key()
            if key not in self._visited:
                self._visited.add(key)
                self._queue.append(self._path + (self._taken,))

    def facts(self) -> Facts:
        return Facts(
            Kind.EXHAUSTIVE, "breadth-first search with state caching",
            "Holzmann, The SPIN Model Checker (breadth-first search), 2003",
            {}, ALL_SCOPES,
            "every reachable state within the bounds was visited, level by level, so a "
            "counterexample it reports is a shortest one",
            len(self._visited),
        )
