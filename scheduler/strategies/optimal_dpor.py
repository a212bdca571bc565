"""Optimal dynamic partial-order reduction: source sets with wakeup trees (Abdulla,
Aronis, Jonsson and Sagonas, "Optimal dynamic partial order reduction", POPL 2014,
Algorithm 2; JACM 64(4) 2017, section 7).

It is source-DPOR (strategies/dpor.py) with one change, where a race is reversed: instead
of adding one initial actor of the reversing sequence v = notdep(e).e' to the backtrack
set of the state before e, it inserts v itself into that state's wakeup tree
(scheduler/wakeup_tree.py), unless an actor asleep there is a weak initial of v (then
exploring it already covered v). The search then follows a wakeup tree's branches step
by step before it chooses freely. Source sets may start a reversal from an initial that
later finds every continuation asleep (a sleep-set-blocked execution); following v
never does, so on programs whose steps never disable one another it explores exactly
one complete execution per Mazurkiewicz trace.

Programs with crashes (scheduler/crashes.py) are refused: a crash is disabled by its
actor's last step, which the sleep-set check of wakeup trees does not allow for.
Steps that block (a lock another actor holds) are where the theory does not reach: as
source-DPOR here, a lock is raced with the previous lock of its mutex (dpor.py, `_clock`)
and the next step of a blocked actor with the last conflicting step before it (FG05's
rule), its reversal inserted as a wakeup sequence too; with those, the lock classics
(filesystem, indexer) run no sleep-set-blocked execution. Where a
wakeup tree's next actor cannot move at its state (blocked, or asleep), every awake
actor is tried there instead: always sound, if less reduced; `fallbacks` counts them,
and the facts say how many there were.

It proves what source-DPOR proves: every Mazurkiewicz trace within the bounds is
explored, so every step with its result, every final state and every deadlock is seen;
state properties only through their declared reads (the same visibility rule).
"""

from __future__ import annotations

import attrs
from unpack_race.scheduler.choice_point import ChoicePoint, Cut
from unpack_race.scheduler.choice_tree import Branch
from unpack_race.scheduler.coverage import SLEEP_SET_BLOCKED, Facts
from unpack_race.scheduler.crashes import crashed_by
from unpack_race.scheduler.effect import Footprint
from unpack_race.scheduler.strategies.dpor import REDUCTIONS, Dpor, Node
from unpack_race.scheduler.wakeup_tree import Event, WakeupNode, insert, weak_initial

OPTIMAL = "optimal"
ALL_REDUCTIONS = REDUCTIONS + (OPTIMAL,)
CITATION = ("Abdulla, Aronis, Jonsson, Sagonas, Optimal dynamic partial order reduction, POPL 2014 "
            "(Algorithm 2, wakeup trees); Godefroid, Partial-order methods for the verification of "
            "concurrent systems, LNCS 1032, 1996")


@attrs.define
class TreeNode(Node):
    """A state on the current path, with its wakeup tree: the sequences still to explore
    from it, in order (the first is the one being explored), and the subtree the state
    after it starts from."""

    wut: list[WakeupNode] = attrs.field(factory=list)
    current: WakeupNode | None = None
    after: dict[str, tuple[str, ...]] = attrs.field(factory=dict)  # explored actor -> who could move next


class OptimalDpor(Dpor):
    """Exhaustive search with optimal DPOR: `OptimalDpor()`. Like `Dpor()` it trusts the
    footprints (`unpack-race lint` checks them) and counts distinct states by the world's
    `fingerprint()`."""

    def __init__(self, restore: bool = True) -> None:
        super().__init__("source", sleep_sets=True, restore=restore)
        self.reduction = OPTIMAL
        self.fallbacks = 0  # states where a wakeup tree's next actor could not move

    def start(self, actors, dry_run) -> None:
        crashes = [a for a in actors if crashed_by(a) is not None]
        if crashes:
            from unpack_race.scheduler.explore import PropertyScopeError  # explore imports the strategies

            raise PropertyScopeError(
                f"optimal DPOR cannot yet explore a program with crashes ({', '.join(crashes)}): a crash is "
                f"disabled by its actor's last step, and the wakeup trees' sleep-set check, made for "
                f"processes that never disable one another, then loses traces (found by the random "
                f"programs with two crashes); use --reduction source, or --strategy dfs")
        super().start(actors, dry_run)

    def describe(self) -> str:
        return "optimal DPOR (Abdulla et al. 2014), wakeup trees and sleep sets"

    def facts(self) -> Facts:
        facts = super().facts()
        return attrs.evolve(facts, algorithm=self.describe(), citation=CITATION,
                            settings={"reduction": OPTIMAL, "sleep_sets": True, "restore": self.restores,
                                      "fallbacks": self.fallbacks})

    # -- the strategy protocol -------------------------------------------------------
    def choose(self, point: ChoicePoint) -> str | Cut:
        sleep = self._arrive(point)
        parent = self._stack[-1] if self._stack else None
        wut = parent.current.children if parent is not None and parent.current is not None else []
        pending, effects = self._pending(point)
        node = TreeNode(list(point.runnable), pending, frozenset(sleep), asleep=sleep, wut=wut, effects=effects)
        self._race_pending(node, len(self._stack), blocked_only=True)
        if not node.wut:
            free = next((a for a in node.runnable if a not in node.sleep), None)
            if free is not None:
                node.wut.append(WakeupNode(free, node.pending[free]))
        child = self._next_child(node)
        if child is None:
            self.sleep_blocked += 1
            return Cut(SLEEP_SET_BLOCKED)
        self._take(node, child)
        self._stack.append(node)
        self.tree.branch(point, [child.actor], node)
        return child.actor

    def _arrive(self, point: ChoicePoint):
        sleep = super()._arrive(point)
        if self._stack:
            self._stack[-1].after[self._stack[-1].chosen] = tuple(point.runnable)
        if self._stack and self._stack[-1].current is not None:
            # the branch explored holds the step's footprint as taken, which may hold more
            # than its pending one (a failed assert that aborts the program writes ~abort)
            self._stack[-1].current.footprint = self._stack[-1].footprint
        return sleep

    def _alternative(self, branch: Branch) -> str | None:
        """The next branch of the state's wakeup tree, once the one explored is done."""
        node = branch.data
        if node.current is not None:
            node.wut.remove(node.current)
            node.current = None
        child = self._next_child(node)
        if child is None:
            return None
        self._take(node, child)
        node.actor = node.footprint = node.clock = None
        return child.actor

    def _take(self, node: TreeNode, child: WakeupNode) -> None:
        node.current = child
        node.chosen = child.actor
        node.done.append(child.actor)

    def _next_child(self, node: TreeNode) -> WakeupNode | None:
        """The first branch of the wakeup tree whose actor can move here and is awake.
        A branch whose actor cannot is replaced by every awake actor (the fallback)."""
        while node.wut:
            child = node.wut[0]
            if child.actor in node.runnable and child.actor not in node.sleep and child.actor not in node.done:
                return child
            node.wut.pop(0)
            self.fallbacks += 1
            have = {c.actor for c in node.wut}
            node.wut.extend(WakeupNode(a, node.pending[a]) for a in node.runnable
                            if a not in node.sleep and a not in node.done and a not in have)
        return None

    # -- races ------------------------------------------------------------------------
    def _reverse(self, i: int, index: int) -> None:
        """Insert v = notdep(step i).step `index` into the wakeup tree of the state before i."""
        first = self._stack[i]
        v = self._notdep(i, index)
        last, footprint = self._stack[index].actor, self._stack[index].footprint
        if last not in first.runnable and not any(actor == last or footprint.conflicts_with(f) for actor, f in v):
            # not reversible: the step could not move before step i, and nothing in v
            # touches what it reads, so it cannot move after v either (whether a step is
            # enabled depends only on what its footprint reads): an unlock, say, and the
            # lock it let through
            return
        v.append((last, footprint))
        self._insert(first, v)

    def _race_next_step(self, p: str, next_step: Footprint, depth: int,
                        latest_clock: dict[str, dict[str, int]], runnable: list[str]) -> None:
        """A blocked actor's next step raced with the last conflicting step that does not
        happen before it, reversed as a wakeup sequence (FG05's rule, as source-DPOR)."""
        race = self._last_race(p, next_step, depth, latest_clock, runnable)
        if race is not None:
            v = self._notdep(race[0], depth)
            v.append((p, next_step))
            self._insert(self._stack[race[0]], v)

    def _notdep(self, i: int, end: int) -> list[Event]:
        """notdep(step i): the steps after i and before `end` that do not happen after i."""
        stack = self._stack
        return [(stack[k].actor, stack[k].footprint) for k in range(i + 1, end)
                if stack[k].clock.get(stack[i].actor, 0) <= i]

    def _insert(self, node: TreeNode, v: list[Event]) -> None:
        """Insert v into the node's wakeup tree, unless an actor asleep there is a weak
        initial of v that cannot have disabled the step being reversed (the one taken
        there): then exploring that actor first covered v already.

        The paper needs no second condition: its processes never disable one another. Here
        a step may disable another's (the last step of a crashable actor disables its
        crash; a lock, another lock), and exploring first an actor that disables the
        reversed step does not cover v followed by that step. An actor asleep on arrival
        counts only if its step is independent of the reversed one (then it cannot
        disable it); one explored here before, only if the mover could still move after
        it (`after`, recorded when it was explored). Neither condition is needed for an
        actor that takes a step in v: its first step there commutes with every step of v
        before it, so q.v' is v itself reordered, and no step is added that could disable
        another (this is what leaves no blocked execution on the lock classics)."""
        reversed_step, mover = node.footprint, node.actor
        for q in node.sleep:  # asleep on arrival: whether its step disables the mover's is unknown
            fp = node.asleep.get(q, node.pending.get(q))
            if fp is not None and weak_initial(q, fp, v) and (_in(q, v) or not fp.conflicts_with(reversed_step)):
                return
        for q in node.done[:-1]:  # explored here: the mover could still move after it, or not
            fp = node.taken.get(q, node.pending.get(q))
            if fp is not None and weak_initial(q, fp, v) and (_in(q, v) or mover in node.after.get(q, ())):
                return
        insert(node.wut, v)


def _in(actor: str, v: list[Event]) -> bool:
    """Whether `actor` takes a step in the sequence v."""
    return any(a == actor for a, _ in v)


def make_dpor(reduction: str = "source", restore: bool = True) -> Dpor:
    """The DPOR the registry's `--reduction` names."""
    if reduction == OPTIMAL:
        return OptimalDpor(restore=restore)
    if reduction not in REDUCTIONS:
        raise ValueError(f"unknown reduction {reduction!r}; use one of {', '.join(ALL_REDUCTIONS)}")
    return Dpor(reduction, restore=restore)
