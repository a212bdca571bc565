"""The happens-before graph of one run, from the steps' footprints (Mazurkiewicz traces;
Lamport, "Time, clocks, and the ordering of events", CACM 1978; Flanagan and Godefroid,
"Dynamic partial-order reduction", POPL 2005).

Two steps are *dependent* when they belong to the same actor (program order) or their
footprints conflict (one writes what the other reads or writes). Step i happens before
step j (i < j) when a chain of dependent steps leads from i to j. Any order of the same
steps that keeps every dependent pair in its order (a topological order of the graph) is
an equivalent run: each step has the same effect and the same outcome, and the run ends
in the same state. That is what lets the minimiser reorder steps safely, and what the
explanation uses to find races.

The footprints are recorded while the steps are taken (every `Run` has them): a
footprint may depend on the state. This module is the one place that builds the
happens-before relation; traces, minimisation and explanation all use it.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

import networkx as nx
from unpack_race.scheduler.choice_point import ChoicePoint, Cut
from unpack_race.scheduler.choices import Choice, replay
from unpack_race.scheduler.coverage import SCHEDULE_ENDED, Facts, Kind
from unpack_race.scheduler.effect import EVERYTHING, Footprint
from unpack_race.scheduler.explore import explore
from unpack_race.scheduler.kernel import Execution, Step
from unpack_race.scheduler.program import Program
from unpack_race.scheduler.strategies.base import SingleExecution

PROGRAM_ORDER, CONFLICT = "program-order", "conflict"


def _footprint(step: Step) -> Footprint:
    if step.footprint is None:
        raise ValueError(
            f"step {step.index} ({step.narrate()}) has no recorded footprint; take it from a Run, "
            f"or an Execution built with footprints=True"
        )
    return step.footprint


def require_footprints(steps: Sequence[Step]) -> None:
    """Raise ValueError, saying what to do, unless every step has its footprint."""
    for step in steps:
        _footprint(step)


def dependent(a: Step, b: Step) -> bool:
    """Whether two steps may not be swapped: same actor, or conflicting footprints."""
    return a.actor == b.actor or _footprint(a).conflicts_with(_footprint(b))


def conflict_resources(a: Footprint, b: Footprint) -> tuple[str, ...]:
    """The resources two conflicting footprints meet on, sorted; a footprint that writes
    everything meets the other on all it touches (or on "*" if it touches nothing)."""
    touched_a, touched_b = a.touched, b.touched
    found: set[str] = set()
    for writes, touched in ((a.writes, touched_b), (b.writes, touched_a)):
        if EVERYTHING in writes:
            found |= touched or {EVERYTHING}
        elif EVERYTHING in touched:
            found |= writes
        else:
            found |= writes & touched
    return tuple(sorted(found))


def happens_before(steps: Sequence[Step], reduce: bool = False) -> nx.DiGraph:
    """A DAG on step indices with an edge i -> j (i < j) for every dependent pair; each
    edge has `kind` (program-order or conflict) and `resources`. Nodes carry `actor`
    and `effect`. With `reduce`, only the edges of the transitive reduction are kept
    (the same order, fewest edges)."""
    graph = nx.DiGraph()
    for step in steps:
        graph.add_node(step.index, actor=step.actor, effect=type(step.effect).__name__)
    for j, b in enumerate(steps):
        for a in steps[:j]:
            if a.actor == b.actor:
                graph.add_edge(a.index, b.index, kind=PROGRAM_ORDER, resources=())
            elif _footprint(a).conflicts_with(_footprint(b)):
                graph.add_edge(a.index, b.index, kind=CONFLICT,
                               resources=conflict_resources(_footprint(a), _footprint(b)))
    if not reduce:
        return graph
    reduced = nx.transitive_reduction(graph)
    reduced.add_nodes_from(graph.nodes(data=True))
    reduced.add_edges_from((u, v, graph.edges[u, v]) for u, v in reduced.edges)
    return reduced


def respects(graph: nx.DiGraph, order: Sequence[int]) -> bool:
    """The order lists every node once and keeps every edge's direction."""
    position = {node: i for i, node in enumerate(order)}
    if len(position) != len(order) or set(position) != set(graph.nodes):
        return False
    return all(position[u] < position[v] for u, v in graph.edges)


def fewest_preemptions_order(
    program: Program, steps: Sequence[Step], last: int | None = None, max_states: int = 20_000
) -> tuple[list[int], bool]:
    """A topological order of the steps' happens-before graph with the fewest preemptions
    (then the fewest context switches), by Dijkstra's algorithm over the graph's
    downsets (the sets of steps already taken, which here are a count per actor).
    Preemptions are judged exactly: the runnable actors of each downset come from
    running the program to it. `last`, if given, is kept last. Returns the order (step
    indices) and whether the search was exhaustive; past `max_states` downsets it
    falls back to a greedy order (keep moving the current actor while it can)."""
    by_actor: dict[str, list[Step]] = {}
    for step in steps:
        by_actor.setdefault(step.actor, []).append(step)
    actors = sorted(by_actor, key=lambda a: by_actor[a][0].index)
    graph = happens_before(steps, reduce=True)
    predecessors = {s.index: set(graph.predecessors(s.index)) for s in steps}
    position = {s.index: (actors.index(s.actor), k) for a in actors for k, s in enumerate(by_actor[a])}
    runnable_cache: dict[tuple[int, ...], tuple[str, ...]] = {}

    def taken(counts: tuple[int, ...], index: int) -> bool:
        actor, k = position[index]
        return k < counts[actor]

    def available(counts: tuple[int, ...]) -> list[int]:
        found = []
        for a, name in enumerate(actors):
            if counts[a] < len(by_actor[name]):
                step = by_actor[name][counts[a]]
                if step.index == last and sum(counts) != len(steps) - 1:
                    continue
                if all(taken(counts, p) for p in predecessors[step.index]):
                    found.append(step.index)
        return found

    def runnable_at(counts: tuple[int, ...], path: list[int]) -> tuple[str, ...]:
        if counts not in runnable_cache:
            moves = [Choice(steps_by_index[i].actor, steps_by_index[i].effect) for i in path]
            runnable_cache[counts] = replay(Execution(program), moves).runnable()
        return runnable_cache[counts]

    steps_by_index = {s.index: s for s in steps}
    start = tuple(0 for _ in actors)
    # (preemptions, switches, tie-break order, counts, last actor, path)
    frontier: list = [(0, 0, (), start, -1, [])]
    best: dict[tuple[tuple[int, ...], int], tuple[int, int]] = {}
    popped = 0
    while frontier:
        cost_p, cost_s, tie, counts, last_actor, path = heapq.heappop(frontier)
        if len(path) == len(steps):
            return path, True
        if best.get((counts, last_actor), (1 << 60, 0)) < (cost_p, cost_s):
            continue
        popped += 1
        if popped > max_states:
            return _greedy_order(program, steps, actors, by_actor, predecessors, position, last), False
        runnable = runnable_at(counts, path)
        for index in available(counts):
            a, _ = position[index]
            if steps_by_index[index].actor not in runnable:
                continue
            switch = last_actor not in (-1, a)
            preempt = switch and actors[last_actor] in runnable
            key_cost = (cost_p + preempt, cost_s + switch)
            new_counts = counts[:a] + (counts[a] + 1,) + counts[a + 1:]
            if best.get((new_counts, a), (1 << 60, 0)) <= key_cost:
                continue
            best[(new_counts, a)] = key_cost
            heapq.heappush(frontier, (*key_cost, tie + (index,), new_counts, a, path + [index]))
    raise ValueError("the steps admit no order that respects their dependencies and can be run")


def _greedy_order(program, steps, actors, by_actor, predecessors, position, last) -> list[int]:
    """Keep moving the current actor while it can; else the ready step that comes first."""
    greedy = _Greedy(steps, actors, by_actor, predecessors, position, last)
    explore(program, greedy)
    return greedy.order


class _Greedy(SingleExecution):
    """The greedy order of `_greedy_order`, as a one-run strategy."""

    def __init__(self, steps, actors, by_actor, predecessors, position, last) -> None:
        self.steps, self.actors, self.by_actor = steps, actors, by_actor
        self.predecessors, self.position, self.last = predecessors, position, last
        self.counts = [0] * len(actors)
        self.order: list[int] = []
        self.current = -1

    def choose(self, point: ChoicePoint) -> str | Cut:
        if len(self.order) == len(self.steps):
            return Cut(SCHEDULE_ENDED)
        options = []
        for a, name in enumerate(self.actors):
            if self.counts[a] < len(self.by_actor[name]):
                step = self.by_actor[name][self.counts[a]]
                if step.index == self.last and len(self.order) != len(self.steps) - 1:
                    continue
                ready = all(self.position[p][1] < self.counts[self.position[p][0]] for p in self.predecessors[step.index])
                if ready and name in point.runnable:
                    options.append((a != self.current, step.index, a))
        if not options:
            raise ValueError("the steps admit no order that respects their dependencies and can be run")
        _, index, a = min(options)
        self.order.append(index)
        self.counts[a] += 1
        self.current = a
        return self.actors[a]

    def facts(self) -> Facts:
        return Facts(Kind.SINGLE_RUN, "a greedy order of recorded steps", "")
