"""Exhaustive depth-first search over interleavings, stateless (it re-runs every
execution from the start and replays the prefix, as loom and shuttle do; Godefroid,
"Model checking for programming languages using VeriSoft", POPL 1997), walking a
`ChoiceTree`.

With `state_caching=True`, the default (as on the command line), it keys each state by
the world's fingerprint and every actor's interned history, and cuts an execution that
reaches a state already explored (Holzmann's stateful DFS): the same reachable states,
steps and verdicts, with far fewer executions. That holds because every transition out
of every state is still taken once, so every property scope is preserved: the step just
taken, the state between steps, and final states (no property can read the order of
earlier steps). Without state caching (`state_caching=False`) it enumerates every
interleaving: correct, complete and exponential, and the world needs no `fingerprint()`.

With state caching the search also restores instead of replaying (`restore=True`, the
default): going back to a branching point, the explorer restores the state there from a
saved state and rebuilds the actors from their recorded outcomes (scheduler.restore), so
each transition is executed once, not once per execution that passes through it. What
is explored, in which order, and every verdict and counterexample are those of the
replaying search (`restore=False`), which the tests check; only the work differs. The
search counts the distinct transitions it takes (`Facts.transitions`: with state
caching, a branch is a state seen for the first time, so each choice taken at one is a
distinct (state, actor) transition), which gives the steps executed per transition.

With `preemption_bound=k` only schedules with at most k preemptions are explored (a
preemption: moving another actor while the one that just moved could go on). This is
iterative context bounding (Musuvathi and Qadeer, "Iterative context bounding for
systematic testing of multithreaded programs", PLDI 2007): shallow, fast, and complete
only up to k preemptions, which the coverage says.

With a `root`, the search explores every continuation of that fixed prefix of recorded
steps (used to ask whether any way of going on from a run violates a property).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from unpack_race.scheduler.choice_point import ChoicePoint, Cut, Prefix
from unpack_race.scheduler.choice_tree import ChoiceTree
from unpack_race.scheduler.choices import Recorded
from unpack_race.scheduler.coverage import STATE_SEEN, Facts, Kind
from unpack_race.scheduler.estimate import STATE_GRAPH, TREE
from unpack_race.scheduler.strategies.base import ALL_SCOPES, Strategy

STATEFUL_DFS = "Holzmann, Peled, Yannakakis, On nested depth first search, SPIN 1996 (stateful DFS)"
STATELESS_DFS = "Godefroid, Model checking for programming languages using VeriSoft, POPL 1997"
CONTEXT_BOUNDING = "Musuvathi and Qadeer, Iterative context bounding for systematic testing, PLDI 2007"


class DepthFirst(Strategy):
    """Exhaustive depth-first search: `DepthFirst()` proves a property within the
    program's bounds, or finds a counterexample.

    - `state_caching` (default True): cut an execution at a state already explored; it
      needs the world's `fingerprint()` (see `Program`). False runs every interleaving.
    - `preemption_bound`: only schedules with at most that many preemptions (a bounded,
      not exhaustive, search; the coverage says so).
    - `root`: explore only the continuations of this fixed prefix of recorded steps.
    - `restore` (default True; only with state caching): restore each branching point's
      state instead of replaying its prefix (scheduler.restore); False replays.
    """

    def __init__(
        self, state_caching: bool = True, preemption_bound: int | None = None, root: Sequence[Recorded] = (),
        restore: bool = True,
    ) -> None:
        if preemption_bound is not None and preemption_bound < 0:
            raise ValueError(f"a preemption bound must be 0 or more, got {preemption_bound}")
        if preemption_bound is not None and root:
            raise ValueError("a preemption bound counts from the start; it cannot follow a fixed prefix")
        self.state_caching = state_caching
        self.preemption_bound = preemption_bound
        self.keys_states = state_caching
        self.restores = state_caching and restore
        self.tree = ChoiceTree(root)
        if preemption_bound is None and not root:  # (a bounded tree would need its own rule)
            self.estimate_rule = STATE_GRAPH if state_caching else TREE
        self._visited: set[Hashable] = set()

    def next_execution(self) -> Prefix | None:
        return self.tree.next_prefix()

    def choose(self, point: ChoicePoint) -> str | Cut:
        options, used = list(point.runnable), 0
        if self.preemption_bound is not None:
            options, used = self._bounded(point)
        if self.state_caching:
            key = point.state_key()
            if self.preemption_bound is not None:
                key = (key, point.last.actor if point.last else None, used)
            if key in self._visited:
                return Cut(STATE_SEEN)
            self._visited.add(key)
        return self.tree.branch(point, options, used).chosen

    def _bounded(self, point: ChoicePoint) -> tuple[list[str], int]:
        """The options left within the preemption bound, and the preemptions used so far
        (each branch's data: the preemptions used before its choice)."""
        runnable = point.runnable
        used = 0
        branches = self.tree.branches
        if branches:
            before = branches[-1]
            earlier = branches[-2].chosen if len(branches) >= 2 else None
            used = before.data + (before.chosen != earlier and earlier in before.runnable)
        previous = point.last.actor if point.last else None
        if previous not in runnable:
            return list(runnable), used  # switching away from a blocked or finished actor is free
        if used >= self.preemption_bound:
            return [previous], used
        return [previous] + [a for a in runnable if a != previous], used

    def end_execution(self, point: ChoicePoint) -> None:
        self.tree.ran()
        if self.state_caching and not point.runnable:
            self._visited.add(point.state_key())  # final states count as states too

    def facts(self) -> Facts:
        if self.state_caching:
            algorithm, citation = "DFS with state caching", STATEFUL_DFS
            guarantee = ("every reachable state within the bounds was visited and every step out of it "
                         "taken, so a property of steps, states or final states holds in all of them")
        else:
            algorithm, citation = "DFS without reduction", STATELESS_DFS
            guarantee = "every interleaving within the bounds was run, so every property holds in all of them"
        kind = Kind.EXHAUSTIVE
        if self.preemption_bound is not None:
            kind = Kind.BOUNDED
            algorithm += f", at most {self.preemption_bound} preemptions (iterative context bounding)"
            citation += "; " + CONTEXT_BOUNDING
            guarantee = (f"every schedule with at most {self.preemption_bound} preemptions within the bounds "
                         f"was covered; schedules with more preemptions were not")
        if self.tree.root:
            kind = Kind.BOUNDED
            algorithm = f"every continuation of a {len(self.tree.root)}-step prefix ({algorithm})"
            guarantee = f"every way of going on from the {len(self.tree.root)}-step prefix was covered"
        settings = {"state_caching": self.state_caching, "preemption_bound": self.preemption_bound,
                    "restore": self.restores}
        distinct = self.state_caching and self.preemption_bound is None  # a branch is then a new state
        return Facts(kind, algorithm, citation, settings, ALL_SCOPES, guarantee,
                     len(self._visited) if self.state_caching else None,
                     transitions=self.tree.taken if distinct else None)
