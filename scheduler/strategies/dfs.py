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

With `preemption_bound=k` only schedules with at most k preemptions are explored (a
preemption: moving another actor while the one that just moved could go on). This is
iterative context bounding (Musuvathi and Qadeer, "Iterative context bounding for
systematic testing of multithreaded programs", PLDI 2007): shallow, fast, and complete
only up to k preemptions, which the result says.
"""

from __future__ import annotations

from collections.abc import Hashable

from unpack_race.scheduler.kernel import Execution, HistoryInterner
from unpack_race.scheduler.strategies.base import Strategy


class NondeterminismError(RuntimeError):
    """The same prefix of choices led to a different set of runnable actors."""

    @classmethod
    def check(cls, depth: int, recorded: list[str], runnable: list[str]) -> None:
        """Raise unless replaying a prefix sees the runnable actors it saw before."""
        if list(recorded) != list(runnable):
            raise cls(
                f"step {depth}: replaying the same choices, the runnable actors were "
                f"{recorded} before and are {runnable} now; the model is not deterministic"
            )


class DepthFirst(Strategy):
    exhaustive = True

    def __init__(self, state_caching: bool = False, preemption_bound: int | None = None) -> None:
        if preemption_bound is not None and preemption_bound < 0:
            raise ValueError(f"a preemption bound must be 0 or more, got {preemption_bound}")
        self.state_caching = state_caching
        self.preemption_bound = preemption_bound
        # per depth: (runnable actors, the options to try in order, index of the current one)
        self._stack: list[tuple[list[str], list[str], int]] = []
        self._used: list[int] = []  # with a preemption bound: preemptions before each depth
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
            runnable, options, index = self._stack[-1]
            if index + 1 < len(options):
                self._stack[-1] = (runnable, options, index + 1)
                return True
            self._stack.pop()
        return False

    def choose(self, execution: Execution, runnable: list[str]) -> str | None:
        depth = self._depth
        self._depth += 1
        if depth < len(self._stack):
            recorded, options, index = self._stack[depth]
            NondeterminismError.check(depth, recorded, runnable)
            return options[index]
        options, used = list(runnable), 0
        if self.preemption_bound is not None:
            options, used = self._bounded(depth, runnable, execution)
        if self.state_caching:
            key = execution.state_key()
            if self.preemption_bound is not None:
                key = (key, execution.steps[-1].actor if execution.steps else None, used)
            if key in self._visited:
                return None
            self._visited.add(key)
        self._stack.append((list(runnable), options, 0))
        if self.preemption_bound is not None:
            del self._used[depth:]
            self._used.append(used)
        return options[0]

    def _bounded(self, depth: int, runnable: list[str], execution: Execution) -> tuple[list[str], int]:
        """The options left within the preemption bound, and the preemptions used so far."""
        used = 0
        if depth >= 1:
            used = self._used[depth - 1]
            before_runnable, options, index = self._stack[depth - 1]
            before = execution.steps[-2].actor if depth >= 2 else None
            if options[index] != before and before in before_runnable:
                used += 1
        previous = execution.steps[-1].actor if execution.steps else None
        if previous not in runnable:
            return list(runnable), used  # switching away from a blocked or finished actor is free
        if used >= self.preemption_bound:
            return [previous], used
        return [previous] + [a for a in runnable if a != previous], used

    def end_execution(self, execution: Execution) -> None:
        if self.state_caching and not execution.runnable():
            self._visited.add(execution.state_key())  # final states count as states too

    def distinct_states(self) -> int | None:
        return len(self._visited) if self.state_caching else None

    def describe(self) -> str:
        how = "DFS with state caching" if self.state_caching else "DFS without reduction"
        if self.preemption_bound is not None:
            how += f", at most {self.preemption_bound} preemptions (iterative context bounding)"
        return how

    def claim(self, bounds: str, executions: int, violations: int) -> str:
        states = f", {len(self._visited)} distinct states" if self.state_caching else ""
        return (
            f"exhaustive within bounds {bounds}, {self.describe()}: {executions} executions"
            f"{states}, {violations} violations"
        )
