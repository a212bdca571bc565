"""Breadth-first search over states, for the shortest counterexample.

States are keyed as in `dfs` with state caching (the world's fingerprint plus every
actor's interned history) and expanded level by level, so the first violation found has
the fewest steps of any. Generator frames cannot be copied, so each expansion re-runs
the program along the path to the state, then takes one new step (stateless, like the
other searches); a search with state caching explores each transition once.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable

from unpack_race.scheduler.kernel import Execution, HistoryInterner
from unpack_race.scheduler.strategies.base import Strategy
from unpack_race.scheduler.strategies.dfs import NondeterminismError


class BreadthFirst(Strategy):
    exhaustive = True

    def __init__(self) -> None:
        self.interner = HistoryInterner()
        self._queue: deque[tuple[str, ...]] = deque([()])
        self._visited: set[Hashable] = set()
        self._path: tuple[str, ...] | None = None
        self._child = 0
        self._width = 0
        self._depth = 0

    def begin_execution(self) -> bool:
        self._depth = 0
        if self._path is not None and self._child + 1 < self._width:
            self._child += 1
            return True
        if not self._queue:
            return False
        self._path, self._child, self._width = self._queue.popleft(), 0, 0
        return True

    def choose(self, execution: Execution, runnable: list[str]) -> str | None:
        depth = self._depth
        self._depth += 1
        path = self._path
        if depth < len(path):
            if path[depth] not in runnable:
                raise NondeterminismError(
                    f"step {depth}: the path to a queued state moves {path[depth]}, "
                    f"which is not runnable now ({runnable}); the model is not deterministic"
                )
            return path[depth]
        if depth == len(path):
            if not path and not self._visited:
                self._visited.add(execution.state_key())  # the initial state
            self._width = len(runnable)
            return runnable[self._child]
        return None

    def end_execution(self, execution: Execution) -> None:
        """Queue the state the new step reached, unless it was reached before."""
        if self._path is not None and len(execution.steps) == len(self._path) + 1:
            key = execution.state_key()
            if key not in self._visited:
                self._visited.add(key)
                self._queue.append(self._path + (execution.steps[-1].actor,))

    def distinct_states(self) -> int | None:
        return len(self._visited)

    def describe(self) -> str:
        return "breadth-first search with state caching"

    def claim(self, bounds: str, executions: int, violations: int) -> str:
        return (
            f"exhaustive within bounds {bounds}, {self.describe()}: {executions} executions, "
            f"{len(self._visited)} distinct states, {violations} violations "
            f"(a counterexample it reports is a shortest one)"
        )
