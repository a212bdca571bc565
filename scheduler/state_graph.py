"""A program's state graph, recorded by one DFS with state caching, and counts computed
on it without enumerating executions.

Every state is keyed as state caching keys it (the world's fingerprint and each actor's
interned history); every transition is recorded with the step that takes it, and every
final state with the actors it leaves blocked. Because the graph of a terminating
program is acyclic, the number of maximal paths from the initial state is exactly the
number of executions a brute-force DFS would run, so a reduced search can be compared
with brute force on programs far too large to enumerate.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping

import attrs
from unpack_race.scheduler.choice_point import ChoicePoint, Cut
from unpack_race.scheduler.explore import Budget, explore
from unpack_race.scheduler.kernel import Step
from unpack_race.scheduler.program import Program
from unpack_race.scheduler.strategies.dfs import DepthFirst


@attrs.frozen
class StateGraph:
    root: Hashable
    edges: Mapping[Hashable, Mapping[str, tuple[Hashable, Step]]]  # state -> actor -> (next state, step)
    finals: Mapping[Hashable, tuple[str, ...]]  # final state -> the actors left blocked there
    complete: bool  # the budget did not cut the exploration short

    @property
    def states(self) -> int:
        return len({self.root} | set(self.edges) | set(self.finals)
                   | {child for out in self.edges.values() for child, _ in out.values()})

    @property
    def transitions(self) -> int:
        return sum(len(out) for out in self.edges.values())

    def fold(self, leaf: Callable[[Hashable], tuple], edge: Callable[[Step], tuple | None],
             combine: Callable[[list[tuple]], tuple]) -> tuple:
        """A value computed bottom-up over the (acyclic) graph, each state once: `leaf`
        of a final state, `combine` of the values along a state's edges in actor order,
        where an edge's value is `edge(step)` when that is not None (the path ends
        there) and else its target's value."""
        values: dict[Hashable, tuple] = {}
        stack: list[tuple[Hashable, bool]] = [(self.root, False)]
        while stack:
            node, expanded = stack.pop()
            if node in values:
                continue
            out = self.edges.get(node, {})
            if not out:
                values[node] = leaf(node)
                continue
            followed = [(child, step) for child, step in (out[a] for a in sorted(out))]
            if expanded:
                values[node] = combine([edge(step) or values[child] for child, step in followed])
                continue
            stack.append((node, True))
            stack.extend((child, False) for child, step in followed if child not in values and edge(step) is None)
        return values[self.root]


class TooManyStates(Exception):
    """The state graph has more states than the limit given to `state_graph`."""


class _Recorder(DepthFirst):
    """DFS with state caching that also records every transition it takes or prunes
    (raising TooManyStates once it has met more than `max_states` distinct states)."""

    def __init__(self, max_states: int | None = None) -> None:
        super().__init__(state_caching=True)
        self.max_states = max_states
        self._seen: set[Hashable] = set()
        self.edges: dict[Hashable, dict[str, tuple[Hashable, Step]]] = {}
        self.finals: dict[Hashable, tuple[str, ...]] = {}
        self.root: Hashable | None = None
        self._path_keys: list[Hashable] = []

    def choose(self, point: ChoicePoint) -> str | Cut:
        self._link(point)
        return super().choose(point)

    def end_execution(self, point: ChoicePoint) -> None:
        if not point.runnable and point.depth == self.tree.depth:
            self._link(point)
            self.finals[point.state_key()] = () if point.aborted else point.unfinished()
        super().end_execution(point)

    def _link(self, point: ChoicePoint) -> None:
        key, depth = point.state_key(), point.depth
        if self.max_states is not None:
            self._seen.add(key)
            if len(self._seen) > self.max_states:
                raise TooManyStates(f"more than {self.max_states:,} states")
        del self._path_keys[depth:]
        if depth == 0:
            self.root = key
        else:
            self.edges.setdefault(self._path_keys[depth - 1], {})[point.last.actor] = (key, point.last)
        self._path_keys.append(key)


def state_graph(program: Program, budget: Budget = Budget(), max_states: int | None = None) -> StateGraph:
    """Record `program`'s state graph (its actors run as daemons, so that a state where
    actors are left blocked is a final state, not a deadlock that stops the search).
    Raises TooManyStates past `max_states` distinct states (None: no limit)."""
    recorder = _Recorder(max_states)
    result = explore(program.all_daemons(), recorder, budget=budget)
    return StateGraph(recorder.root, recorder.edges, recorder.finals, result.coverage.finished)


@attrs.frozen
class InterleavingCount:
    interleavings: int  # maximal paths: what brute force would run
    states: int
    transitions: int


def count_interleavings(program: Program, budget: Budget = Budget()) -> InterleavingCount | None:
    """The exact number of brute-force executions of `program` (deadlocked ones
    included), or None if the budget ran out before the state graph was complete."""
    graph = state_graph(program, budget)
    if not graph.complete:
        return None
    (paths,) = graph.fold(lambda state: (1,), lambda step: None, lambda values: (sum(v[0] for v in values),))
    return InterleavingCount(paths, graph.states, graph.transitions)
