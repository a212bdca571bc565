"""Depth-first search with state caching and sleep sets: partial-order reduction combined
with state caching soundly, as in Godefroid's thesis ("Partial-order methods for the
verification of concurrent systems", LNCS 1032, 1996, section 6.3, the search with
sleep sets and a hash table of visited states, each stored with its sleep set).

Sleep sets prune *transitions*, never states: an actor asleep at a state is one whose
step was already taken from an earlier state on the path, and every step since is
independent of it (their footprints do not conflict), so the states its step leads to
are reached along the order already explored. State caching cuts an execution at a
state seen before. Combined naively the two lose states: a state first reached with a
large sleep set explores few of its steps, and cutting it when it is reached again with a
smaller sleep set would skip the steps the first visit left to others. So each visited
state keeps the sleep set it was explored with, the steps not yet taken from it
(Godefroid's H(s)). Reached again with sleep set Z, it takes the steps of H(s) not in Z
and keeps H(s) & Z; when that is empty, the execution is cut as a state seen before.
Each step out of each state is still taken at most once, so this never runs more
executions than DFS with state caching, and on a model whose steps commute it runs
fewer: the interleavings of independent steps that reach a state already seen are never
started.

What it proves: every reachable state within the bounds is visited (sleep sets alone
preserve reachability, LNCS 1032, Theorem 5.2; the stored sleep sets keep it so under
state caching), so properties of states and final states hold in all of them, and every
step with its result is taken from some state (a step pruned at a state is taken, with
the same result, where it was put to sleep). The reduction trusts the footprints, as
DPOR does; `unpack-race lint` checks them.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import attrs
from unpack_race.scheduler.choice_point import ChoicePoint, Cut
from unpack_race.scheduler.choices import Recorded
from unpack_race.scheduler.coverage import SLEEP_SET_BLOCKED, STATE_SEEN, Facts, Kind
from unpack_race.scheduler.effect import Footprint
from unpack_race.scheduler.strategies.base import ALL_SCOPES
from unpack_race.scheduler.strategies.dfs import DepthFirst

SLEEP_SETS = "Godefroid, Partial-order methods for the verification of concurrent systems, LNCS 1032, 1996 (sleep sets with state caching, section 6.3)"


@attrs.define
class Visit:
    """A branch's bookkeeping: the sleep set the state was reached with (each sleeping
    actor with the footprint its step was taken with), the actors to take there in
    order, and the footprint of each one's step once taken."""

    sleep: dict[str, Footprint]
    options: tuple[str, ...]
    pending: dict[str, Footprint]
    taken: dict[str, Footprint] = attrs.field(factory=dict)


class SleepSetDepthFirst(DepthFirst):
    """DFS with state caching and sleep sets (see the module docstring):
    `SleepSetDepthFirst()`. It needs the world's `fingerprint()` and trusts the effects'
    footprints."""

    def __init__(self, root: Sequence[Recorded] = (), restore: bool = True) -> None:
        super().__init__(state_caching=True, root=root, restore=restore)
        self._unexplored: dict[Hashable, frozenset[str]] = {}  # H(s): steps not taken from s yet
        self.sleep_blocked = 0
        # no estimate (scheduler.estimate): its executions are neither the state graph's
        # T - S + 1 + F nor the sleep-set tree's leaves, and a wrong figure is worse than none
        self.estimate_rule = None

    def choose(self, point: ChoicePoint) -> str | Cut:
        sleep = self._arrive(point)
        runnable = point.runnable
        key = point.state_key()
        left = self._unexplored.get(key)
        if left is None:
            options = tuple(a for a in runnable if a not in sleep)
            self._unexplored[key] = frozenset(sleep)
            if not options:
                self.sleep_blocked += 1
                return Cut(SLEEP_SET_BLOCKED)
        else:
            options = tuple(a for a in runnable if a in left and a not in sleep)
            if not options:
                return Cut(STATE_SEEN)
            self._unexplored[key] = frozenset(a for a in left if a in sleep)
        pending = {a: point.footprint(a) for a in options}
        return self.tree.branch(point, options, Visit(sleep, options, pending)).chosen

    def _arrive(self, point: ChoicePoint) -> dict[str, Footprint]:
        """The sleep set of the state reached by the step just taken: the parent's
        sleepers and the actors taken there before it, those whose steps do not conflict
        with it (each with the footprint its step was taken with, which may hold more than
        its pending one: a step that aborts the program writes ~abort)."""
        branches = self.tree.branches
        if not branches:
            return {}
        visit: Visit = branches[-1].data
        step = point.step(point.depth - 1)
        visit.taken[step.actor] = step.footprint
        carried = dict(visit.sleep)
        for q in visit.options:
            if q == step.actor:
                break
            carried[q] = visit.taken.get(q, visit.pending[q])
        return {q: f for q, f in carried.items() if q != step.actor and not f.conflicts_with(step.footprint)}

    def end_execution(self, point: ChoicePoint) -> None:
        if not point.runnable:
            self._arrive(point)  # records the last step's footprint for its siblings' sleep sets
        self.tree.ran()
        if not point.runnable:
            self._unexplored.setdefault(point.state_key(), frozenset())

    def facts(self) -> Facts:
        settings = {"state_caching": True, "sleep_sets": True, "preemption_bound": None, "restore": self.restores}
        kind, algorithm = Kind.EXHAUSTIVE, "DFS with state caching and sleep sets"
        guarantee = ("every reachable state within the bounds was visited (sleep sets prune only steps into states "
                     "reached along another order), and every step with its result taken from some state, so a "
                     "property of steps, states or final states holds in all of them")
        if self.tree.root:
            kind = Kind.BOUNDED
            algorithm = f"every continuation of a {len(self.tree.root)}-step prefix ({algorithm})"
            guarantee = f"every way of going on from the {len(self.tree.root)}-step prefix was covered"
        return Facts(kind, algorithm, SLEEP_SETS, settings, ALL_SCOPES, guarantee, len(self._unexplored),
                     transitions=self.tree.taken)
