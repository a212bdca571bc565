"""Counting interleavings without enumerating them: explore the state graph once with
state caching, then count the paths from the initial state to the final states.

The number of maximal paths in the (acyclic) state graph is exactly the number of
executions a brute-force DFS would run, so a reduced search can be compared with brute
force on programs far too large to enumerate.
"""

from __future__ import annotations

from collections.abc import Hashable

import attrs

from unpack_race.scheduler.explore import PASS, VACUOUS, Budget, explore
from unpack_race.scheduler.kernel import Execution
from unpack_race.scheduler.program import Program
from unpack_race.scheduler.strategies.dfs import DepthFirst


class _GraphRecorder(DepthFirst):
    """DFS with state caching that also records every edge it takes or prunes."""

    def __init__(self) -> None:
        super().__init__(state_caching=True)
        self.edges: dict[Hashable, dict[str, Hashable]] = {}
        self.root: Hashable | None = None
        self._path_keys: list[Hashable] = []

    def choose(self, execution: Execution, runnable: list[str]) -> str | None:
        depth = self._depth
        if depth >= len(self._stack):
            self._link(execution, depth)
        return super().choose(execution, runnable)

    def end_execution(self, execution: Execution) -> None:
        if not execution.runnable() and self._depth == len(self._stack):
            self._link(execution, self._depth)
        super().end_execution(execution)

    def _link(self, execution: Execution, depth: int) -> None:
        key = execution.state_key()
        del self._path_keys[depth:]
        if depth == 0:
            self.root = key
        else:
            parent = self._path_keys[depth - 1]
            self.edges.setdefault(parent, {})[execution.steps[-1].actor] = key
        self._path_keys.append(key)


@attrs.frozen
class InterleavingCount:
    interleavings: int  # maximal paths: what brute force would run
    states: int
    transitions: int


def count_interleavings(program: Program, budget: Budget = Budget()) -> InterleavingCount | None:
    """The exact number of brute-force executions of `program` (deadlocked ones
    included), or None if the budget ran out before the state graph was complete."""
    recorder = _GraphRecorder()
    result = explore(program.all_daemons(), recorder, budget=budget)
    if result.verdict not in (PASS, VACUOUS):
        return None
    counts: dict[Hashable, int] = {}
    # iterative post-order over the DAG
    stack: list[tuple[Hashable, bool]] = [(recorder.root, False)]
    while stack:
        node, expanded = stack.pop()
        if node in counts:
            continue
        children = recorder.edges.get(node, {})
        if expanded or not children:
            counts[node] = sum(counts[c] for c in children.values()) if children else 1
            continue
        stack.append((node, True))
        stack.extend((c, False) for c in children.values() if c not in counts)
    transitions = sum(len(c) for c in recorder.edges.values())
    return InterleavingCount(counts[recorder.root], recorder.distinct_states(), transitions)
