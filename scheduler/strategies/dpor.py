"""Dynamic partial-order reduction with sleep sets.

Two race-handling rules, chosen with `reduction=`:
- "source" (default): source sets, Abdulla, Aronis, Jonsson and Sagonas, "Optimal
  dynamic partial order reduction", POPL 2014, Algorithm 1 (Source-DPOR, without wakeup
  trees). For every step e' and every earlier step e in an immediate race with it, the
  search makes sure that some *initial* of notdep(e).e' (an actor that can start that
  reversed continuation) is tried from the state before e.
- "fg05": Flanagan and Godefroid, "Dynamic partial-order reduction for model checking
  software", POPL 2005, Fig. 3: for the next step of every actor p, the last conflicting
  step i that does not happen before it makes the search try, from the state before i,
  an actor of E = {p} + {actors of later steps that happen before p's next step} that
  could move there and is not asleep, or else every runnable actor that is not asleep.
  (Taking p itself whenever it could move, as some retellings do, misses traces once
  sleep sets are on: p may be asleep there while the reversal needs another actor
  first. The soundness tests found it on a three-actor program.)
Both use sleep sets (Godefroid, LNCS 1032, 1996). With source sets, the FG05 rule is
also applied to actors that are blocked (a lock held by another): their next step is
never executed, so no event-based race would reverse the step that blocks them. Where a
reversal cannot start at the state it belongs to (its initial actor is blocked or asleep
there), every runnable actor that is awake is tried there instead: always sound, if
less reduced.

Like `dfs`, it walks a choice tree: each execution shares a prefix with the previous one.
With `restore=True` (the default) the explorer restores the state where the prefix
branches off from a saved state (scheduler.restore) instead of re-running the program from
the start and replaying the prefix, which `restore=False` does; what is explored is the
same either way. Each state on the current path is a `Node`.
Dependence comes from the effects' footprints, evaluated in the state where each step
is taken (the kernel records them); happens-before is kept with vector clocks. At a
final state the next steps of blocked actors are raced too (the FG05 rule), so that an
actor that stayed blocked is tried earlier where it could have moved.

What this proves: every Mazurkiewicz trace (class of interleavings equal up to swapping
adjacent independent steps) within the bounds is explored at least once, so every
reachable final state, every deadlock, and every step with its result is seen.
Properties must therefore be about steps and their results and about final states (as
the scenario properties are); an `always` predicate comparing two variables written by
independent steps at an intermediate state is not covered. Executions cut because every
runnable actor sleeps are counted as sleep-set blocked.
"""

from __future__ import annotations

from collections.abc import Hashable

import attrs
from unpack_race.scheduler.choice_point import ChoicePoint, Cut, Prefix
from unpack_race.scheduler.choice_tree import Branch, ChoiceTree
from unpack_race.scheduler.coverage import SLEEP_SET_BLOCKED, Facts, Kind
from unpack_race.scheduler.effect import EVERYTHING, Footprint
from unpack_race.scheduler.estimate import SLEEP_SETS
from unpack_race.scheduler.program import ABORT
from unpack_race.scheduler.properties import Scope
from unpack_race.scheduler.strategies.base import Strategy

REDUCTIONS = ("source", "fg05")  # and "optimal", with wakeup trees: strategies/optimal_dpor.py

#: for each state property, every step that writes a resource it reads also writes
#: VISIBLE + the property's name, so that all such steps are dependent on each other (the
#: visibility condition of ample sets, Peled 1993, one property at a time)
VISIBLE = "~visible/"


@attrs.define
class Node:
    """A state on the current path: the state before step `index` of the path."""

    runnable: list[str]
    pending: dict[str, Footprint]  # every unfinished actor's next step, as of this state
    sleep: frozenset[str]
    backtrack: set[str] = attrs.field(factory=set)
    done: list[str] = attrs.field(factory=list)
    chosen: str | None = None
    # the step taken from here, once known
    actor: str | None = None
    footprint: Footprint | None = None
    clock: dict[str, int] | None = None  # actor -> (index + 1) of its latest step that happens before
    # the footprint each actor's step had when it was taken from here, and for each actor
    # asleep here the footprint its step had when it was taken: a step's recorded footprint
    # can hold more than its pending one (a step whose failure aborts the program writes
    # ~abort, Program.aborts_on), and a sleep set is sound only with the steps' true ones
    taken: dict[str, Footprint] = attrs.field(factory=dict)
    asleep: dict[str, Footprint] = attrs.field(factory=dict)
    effects: dict[str, object] = attrs.field(factory=dict)  # each unfinished actor's next effect, for `_pending`


def _gives_back(earlier: Footprint, later: Footprint) -> bool:
    """Whether `earlier` is an unlock of a lock `later` takes, and the two steps are
    dependent through that lock alone."""
    mutexes = earlier.releases & later.acquires
    if not mutexes or EVERYTHING in earlier.writes or EVERYTHING in later.writes:
        return False
    rest = Footprint(earlier.reads - mutexes, earlier.writes - mutexes)
    return not rest.conflicts_with(Footprint(later.reads - mutexes, later.writes - mutexes))


def _conflicting(footprint: Footprint):
    """`footprint.conflicts_with`, as a test of one footprint against many: the vector
    clock's walk back along the path calls it for every earlier step."""
    writes, reads = footprint.writes, footprint.reads
    touched = writes | reads
    if EVERYTHING in touched:
        return footprint.conflicts_with
    if not touched:
        return lambda other: False

    def conflicts(other: Footprint) -> bool:
        other_writes = other.writes
        if other_writes and (EVERYTHING in other_writes or not other_writes.isdisjoint(touched)):
            return True
        other_reads = other.reads
        return bool(writes and other_reads and (EVERYTHING in other_reads or not writes.isdisjoint(other_reads)))
    return conflicts


def join_clocks(clock: dict[str, int], other: dict[str, int]) -> dict[str, int]:
    """The pointwise maximum of two vector clocks."""
    joined = dict(clock)
    for name, tick in other.items():
        if tick > joined.get(name, 0):
            joined[name] = tick
    return joined


class Dpor(Strategy):
    """Exhaustive search with dynamic partial-order reduction: `Dpor()` (source sets,
    Abdulla et al. POPL 2014) or `Dpor("fg05")` (Flanagan and Godefroid, POPL 2005), with
    sleep sets unless `sleep_sets=False`. It trusts the effects' footprints (check them
    with `unpack-race lint`), refuses an `on_state` property that does not declare its
    `reads`, and counts distinct states by the world's `fingerprint()`."""

    keys_states = True  # for the count of distinct states only: the reduction does not use them
    estimate_rule = SLEEP_SETS  # its complete executions: one per Mazurkiewicz trace

    def __init__(self, reduction: str = "source", sleep_sets: bool = True, restore: bool = True) -> None:
        if reduction not in REDUCTIONS:
            raise ValueError(f"unknown reduction {reduction!r}; use one of {', '.join(REDUCTIONS)}")
        self.reduction = reduction
        self.sleep_sets = sleep_sets
        self.restores = restore  # its tree backtracks like DFS's: restore, do not replay (scheduler.restore)
        self.sleep_blocked = 0
        self.tree = ChoiceTree(alternative=self._alternative)
        self._stack: list[Node] = []  # the data of the tree's branches, in order
        self._states: set[Hashable] = set()
        self._order: dict[str, int] = {}
        self._visible: tuple[tuple[str, frozenset[str]], ...] = ()  # (token, resources read)

    # -- which properties the reduction preserves --------------------------------------
    def refuse(self, properties) -> str | None:
        """Steps with their results and final states are preserved by every trace; a
        property of the state between steps only when the steps that write what it
        reads are kept in order, so it must declare its reads, which become visible."""
        visible: list[tuple[str, frozenset[str]]] = []
        for prop in properties:
            if prop.scope is Scope.ON_STATE:
                if prop.reads is None:
                    return (
                        f"property {prop.name} reads the state between steps without declaring "
                        f"what it reads, which {self.describe()} cannot preserve: declare its "
                        f"reads, on_state(..., reads={{...}}) in footprint terms (every step that "
                        f"writes them then becomes dependent on every other, as the visibility "
                        f"condition requires), or use --strategy dfs (state caching)"
                    )
                visible.append((VISIBLE + prop.name, prop.reads))
        self._visible = tuple(visible)
        return None

    def _seen(self, footprint: Footprint) -> Footprint:
        """The footprint with the visibility resource of every state property it writes
        a resource of."""
        writes = footprint.writes
        if not self._visible or not writes:
            return footprint
        tokens = {t for t, reads in self._visible if EVERYTHING in writes or not writes.isdisjoint(reads)}
        return footprint.writing(tokens) if tokens else footprint

    # -- the strategy protocol -------------------------------------------------------
    def start(self, actors, dry_run) -> None:
        self._order = {name: i for i, name in enumerate(actors)}

    def next_execution(self) -> Prefix | None:
        prefix = self.tree.next_prefix()
        del self._stack[len(self.tree.branches):]
        return prefix

    def _alternative(self, branch: Branch) -> str | None:
        """The tree's rule for a branch's next alternative: an actor in its backtrack set
        that is neither asleep nor done there."""
        node = branch.data
        choice = self._next_choice(node)
        if choice is not None:
            node.chosen = choice
            node.done.append(choice)
            node.actor = node.footprint = node.clock = None
        return choice

    def choose(self, point: ChoicePoint) -> str | Cut:
        sleep = self._arrive(point)
        pending, effects = self._pending(point)
        node = Node(list(point.runnable), pending, frozenset(sleep), asleep=sleep, effects=effects)
        self._race_pending(node, len(self._stack), blocked_only=self.reduction != "fg05")
        choice = self._next_choice(node, first=True)
        if choice is None:
            self.sleep_blocked += 1
            return Cut(SLEEP_SET_BLOCKED)
        node.backtrack.add(choice)
        node.chosen = choice
        node.done.append(choice)
        self._stack.append(node)
        self.tree.branch(point, [choice], node)
        return choice

    def end_execution(self, point: ChoicePoint) -> None:
        self.tree.ran()
        if not point.runnable and point.depth == len(self._stack):
            self._arrive(point)
            final = Node([], self._pending(point)[0], frozenset())
            self._race_pending(final, len(self._stack), blocked_only=False)

    def describe(self) -> str:
        name = "source-DPOR (Abdulla et al. 2014)" if self.reduction == "source" else "DPOR (Flanagan-Godefroid 2005)"
        return name + (" with sleep sets" if self.sleep_sets else "")

    def facts(self) -> Facts:
        citation = (
            "Abdulla, Aronis, Jonsson, Sagonas, Optimal dynamic partial order reduction, POPL 2014"
            if self.reduction == "source"
            else "Flanagan and Godefroid, Dynamic partial-order reduction for model checking software, POPL 2005"
        )
        if self.sleep_sets:
            citation += "; Godefroid, Partial-order methods for the verification of concurrent systems, LNCS 1032, 1996"
        return Facts(
            Kind.UP_TO_TRACES, self.describe(), citation,
            {"reduction": self.reduction, "sleep_sets": self.sleep_sets, "restore": self.restores},
            tuple(s.value for s in (Scope.ON_STEP, Scope.ON_STATE, Scope.AT_END)),
            "every Mazurkiewicz trace within the bounds was explored, so every step with its result, every "
            "final state and every deadlock was seen; state properties only through their declared reads",
            len(self._states),
        )

    # -- the algorithm ---------------------------------------------------------------
    def _pending(self, point: ChoicePoint) -> tuple[dict[str, Footprint], dict[str, object]]:
        """Every unfinished actor's next step's footprint here, and its next effect (the
        node keeps both, for the next state's call to compare). An actor that did not take
        the step that led here, whose next step is the same effect as before it and does
        not conflict with it, keeps the footprint it had: a step does not change the
        footprint of a step it does not conflict with (the lint's `footprint-changes`
        check), and computing it again is an eighth of the search's time on lastzero."""
        effects = {a: point.pending(a) for a in point.unfinished()}
        parent = self._stack[-1] if self._stack else None
        if parent is None or parent.footprint is None:
            return {a: self._seen(point.footprint(a)) for a in effects}, effects
        moved, taken, before, had = parent.actor, parent.footprint, parent.pending, parent.effects
        pending = {}
        for a, effect in effects.items():
            old = before.get(a)
            if old is not None and a != moved and had.get(a) is effect and effect is not None \
                    and not old.conflicts_with(taken):
                pending[a] = old
            else:
                pending[a] = self._seen(point.footprint(a))
        return pending, effects

    def _arrive(self, point: ChoicePoint) -> dict[str, Footprint]:
        """Account for the step that led here (clock, races) and return the sleep set of
        the state reached, each sleeping actor with the footprint its step was taken with."""
        self._states.add(point.state_key())
        if not self._stack:
            return {}
        index = len(self._stack) - 1
        parent = self._stack[index]
        step = point.step(index)
        parent.actor, parent.footprint = step.actor, self._seen(step.footprint)
        parent.taken[step.actor] = parent.footprint
        parent.clock, races = self._clock(index, step.actor, parent.footprint)
        if self.reduction != "fg05" or ABORT in parent.footprint.writes:
            # under FG05 too for a step that aborted the program (Program.aborts_on): it
            # disables every other step, and FG05's rule, which races only the last step
            # conflicting with each actor's next one, misses the reversals that let the
            # others move first (the soundness tests found it on lazy01-bad)
            for i in races:
                self._reverse(i, index)
        if not self.sleep_sets:
            return {}
        carried = {q: parent.asleep.get(q, parent.pending.get(q)) for q in parent.sleep}
        carried.update((q, parent.taken.get(q, parent.pending.get(q))) for q in parent.done[:-1])
        return {
            q: footprint for q, footprint in carried.items()
            if q != step.actor and q in parent.pending and not footprint.conflicts_with(parent.footprint)
        }

    def _clock(self, index: int, actor: str, footprint: Footprint) -> tuple[dict[str, int], list[int]]:
        """The vector clock of step `index`, and the earlier steps of other actors in an
        immediate race with it (dependent, and not already ordered before it through
        another step).

        A step that takes a lock is ordered after the unlock that gave the lock back, but
        does not race with it: it could never run before that unlock, the lock being held
        until then. It races instead with the lock the unlock ended, whose reversal (this
        actor locking first) can run: Nidhugg's LOCK_SUC race (TSOTraceBuilder::
        mutex_lock), kept only when it is immediate (`_lock_race`). Racing the unlock would
        start reversals that every continuation finds blocked or asleep."""
        clock: dict[str, int] = {}
        races: list[int] = []
        releases: list[int] = []
        stack = self._stack
        conflicts = _conflicting(footprint)
        for j in range(index - 1, -1, -1):
            node = stack[j]
            if clock.get(node.actor, 0) > j:
                continue  # already known to happen before
            same = node.actor == actor
            if same or conflicts(node.footprint):
                if not same:
                    (releases if _gives_back(node.footprint, footprint) else races).append(j)
                for name, tick in node.clock.items():
                    if tick > clock.get(name, 0):
                        clock[name] = tick
        clock[actor] = index + 1
        for j in releases:
            k = self._lock_race(index, actor, footprint, j)
            if k is not None:
                races.append(k)
        return clock, races

    def _lock_race(self, index: int, actor: str, footprint: Footprint, release: int) -> int | None:
        """The lock that unlock `release` ended, if it races with step `index` (which takes
        that lock again) immediately: taken by another actor, and not ordered before step
        `index` by any chain of dependent steps but the one through the unlock."""
        stack = self._stack
        mutexes = stack[release].footprint.releases & footprint.acquires
        k = next((k for k in range(release - 1, -1, -1) if not stack[k].footprint.acquires.isdisjoint(mutexes)), None)
        if k is None or stack[k].actor == actor:
            return None
        owner = stack[k].actor
        clock: dict[str, int] = {}
        for j in range(index - 1, k, -1):
            node = stack[j]
            if j == release or clock.get(node.actor, 0) > j:
                continue
            if node.actor == actor or node.footprint.conflicts_with(footprint):
                if node.clock.get(owner, 0) > k:
                    return None  # ordered after the lock through another step: not immediate
                for name, tick in node.clock.items():
                    if tick > clock.get(name, 0):
                        clock[name] = tick
        return k

    def _reverse(self, i: int, index: int) -> None:
        """Source-DPOR: make sure the race between steps i and `index` gets reversed."""
        stack = self._stack
        first = stack[i]
        # v = notdep(i).step: the steps after i that do not happen after it, then `index`
        v = [k for k in range(i + 1, index) if stack[k].clock.get(first.actor, 0) <= i] + [index]
        initials: list[str] = []
        seen_actors: set[str] = set()
        for pos, k in enumerate(v):
            node = stack[k]
            if node.actor in seen_actors:
                continue
            seen_actors.add(node.actor)
            clock = node.clock
            if not any(clock.get(stack[m].actor, 0) > m for m in v[:pos]):
                initials.append(node.actor)
        if any(q in first.backtrack for q in initials):
            return
        awake = [q for q in initials if q in first.runnable and q not in first.sleep]
        if not awake:
            # the reversal cannot start there (an initial is blocked or asleep): try
            # everything that can, which is always safe
            self._try_all(first)
            return
        last = stack[index].actor
        first.backtrack.add(last if last in awake else min(awake, key=self._order.__getitem__))

    def _try_all(self, node: Node) -> None:
        node.backtrack.update(q for q in node.runnable if q not in node.sleep)

    def _race_pending(self, node: Node, depth: int, blocked_only: bool) -> None:
        """The FG05 rule, for the next step of every unfinished actor at `node` (with
        source sets, of the blocked ones only: a step that cannot run yet never becomes
        an event to race with, yet it may need an earlier conflicting step reversed, as
        a lock taken by another actor before this one asked for it)."""
        raced = [p for p in node.pending if not (blocked_only and p in node.runnable)]
        if not raced:
            return
        latest_clock = self._latest_clocks(depth)
        for p in sorted(raced, key=self._order.__getitem__):
            self._race_next_step(p, node.pending[p], depth, latest_clock, node.runnable)

    def _latest_clocks(self, depth: int) -> dict[str, dict[str, int]]:
        """Each actor's clock as of its latest step among the first `depth`."""
        latest_clock: dict[str, dict[str, int]] = {}
        for j in range(depth):
            latest_clock[self._stack[j].actor] = self._stack[j].clock
        return latest_clock

    def _race_next_step(self, p: str, next_step: Footprint, depth: int,
                        latest_clock: dict[str, dict[str, int]], runnable: list[str]) -> None:
        """The FG05 rule for p's next step (`next_step`, its footprint) after the first
        `depth` steps of the path (`runnable`: who can move there)."""
        race = self._last_race(p, next_step, depth, latest_clock, runnable)
        if race is None:
            return
        i, seen_by_p = race
        earlier = self._stack[i]
        # E: p itself, or an actor whose later step happens before p's next one;
        # prefer one that is not asleep there (FG05 Fig. 3 "choose any q in E")
        wanted = [p] + [self._stack[j].actor for j in range(i + 1, depth) if seen_by_p.get(self._stack[j].actor, 0) > j]
        awake = [q for q in dict.fromkeys(wanted) if q in earlier.runnable and q not in earlier.sleep]
        if any(q in earlier.backtrack for q in awake):
            return
        if awake:
            earlier.backtrack.add(awake[0])
        else:  # every candidate is blocked or asleep there: try everything
            self._try_all(earlier)

    def _last_race(self, p: str, next_step: Footprint, depth: int, latest_clock: dict[str, dict[str, int]],
                   runnable: list[str]) -> tuple[int, dict[str, int]] | None:
        """The last of the first `depth` steps that conflicts with p's next step and does
        not happen before it, with what happens before p's next step (its clock); None if
        there is none."""
        seen_by_p = latest_clock.get(p, {})
        for i in range(depth - 1, -1, -1):
            earlier = self._stack[i]
            if earlier.actor == p or seen_by_p.get(earlier.actor, 0) > i:
                continue  # p's own step, or one that happens before p's next step
            if not earlier.footprint.conflicts_with(next_step):
                continue
            if self._enabled_by(i, p, depth, runnable):
                seen_by_p = join_clocks(seen_by_p, earlier.clock)
                continue
            return i, seen_by_p
        return None

    def _enabled_by(self, i: int, p: str, depth: int, runnable: list[str]) -> bool:
        """Whether step i let p move (p could not move before it and could right after,
        `runnable` being who can move after the first `depth` steps; as a crash lets its
        restart start): then it happens before p's next step, which
        cannot be moved ahead of it, and the race to reverse is with an earlier step.
        (The random programs with a crash and a restart found it: FG05's rule raced the
        restart's first step with the crash alone, and lost the traces in which another
        actor's write came between them.)"""
        after = self._stack[i + 1].runnable if i + 1 < depth else runnable
        return p not in self._stack[i].runnable and p in after

    def _next_choice(self, node: Node, first: bool = False) -> str | None:
        for actor in node.runnable:
            if actor in node.sleep or actor in node.done:
                continue
            if first or actor in node.backtrack:
                return actor
        return None
