"""Exhaustive depth-first search over interleavings, stateless (it re-runs every
execution from the start and replays the prefix, as loom and shuttle do; Godefroid,
"Model checking for programming languages using VeriSoft", POPL 1997).

Without state caching it enumerates every interleaving: correct, complete and
exponential. With `state_caching=True` it keys each state by the world's fingerprint and
every actor's interned history, and cuts an execution that reaches a state already
explored (Holzmann's stateful DFS): the same reachable states, steps and verdicts, with
far fewer executions. That holds because every transition out of every state is still
taken once, so properties may look at the world, the step just taken and the actors'
statuses (all part of the state key or of the transition); a property that looked at
the order of earlier steps of other actors would not be sound under caching. A search that sees a different runnable set while replaying its
own prefix raises `NondeterminismError`: the model is not deterministic.
"""

from __future__ import annotations

from collections.abc import Hashable

from scheduler.kernel import Execution, HistoryInterner
from scheduler.strategies.base import Strategy


class NondeterminismError(RuntimeError):
    """The same prefix of choices led to a different set of runnable actors."""


class DepthFirst(Strategy):
    exhaustive = True

    def __init__(self, state_caching: bool = False) -> None:
        self.state_caching = state_caching
        self._stack: list[tuple[list[str], int]] = []  # (options, index chosen)
        self._depth = 0
        self._started = False
        self._visited: set[Hashable] = set()
        self.interner = HistoryInterner() if state_caching else None

    def begin_execution(self) -> bool:
        self._depth = 0
        if not self._started:
            self._started = True
            return True
        while self._stack:
            options, index = self._stack[-1]
            if index + 1 < len(options):
                self._stack[-1] = (options, index + 1)
                return True
            self._stack.pop()
        return False

    def choose(self, execution: Execution, runnable: list[str]) -> str | None:
        depth = self._depth
        self._depth += 1
        if depth < len(self._stack):
            options, index = self._stack[depth]
            if options != runnable:
                raise NondeterminismError(
                    f"step {depth}: replaying the same choices, the runnable actors were "
                    f"{options} before and are {runnable} now; the model is not deterministic"
                )
            return options[index]
        if self.state_caching:
            key = execution.state_key()
            if key in self._visited:
                return None
            self._visited.add(key)
        self._stack.append((list(runnable), 0))
        return runnable[0]

    def end_execution(self, execution: Execution) -> None:
        if self.state_caching and not execution.runnable():
            self._visited.add(execution.state_key())  # final states count as states too

    def distinct_states(self) -> int | None:
        return len(self._visited) if self.state_caching else None

    def describe(self) -> str:
        return "DFS with state caching" if self.state_caching else "DFS without reduction"

    def claim(self, bounds: str, executions: int, violations: int) -> str:
        states = f", {len(self._visited)} distinct states" if self.state_caching else ""
        return (
            f"exhaustive within bounds {bounds}, {self.describe()}: {executions} executions"
            f"{states}, {violations} violations"
        )
