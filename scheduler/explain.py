"""Why a run violates a property: its happens-before graph, the race that decides the
outcome, and counterfactual reorderings that show where the race is won or lost.

Given a run that violates property P at step v (of actor A):

- the *racing pair* is (w, a): a is a step of A (v itself, or the latest earlier step
  of A that another actor's step conflicts with) and w a step of another actor B before
  it that conflicts with it (their footprints meet). Candidates are tried latest first
  (up to `max_candidates`); the pair is the first whose w, delayed past v, makes the
  property hold, or else the first candidate;
- a *move* takes w (with B's later steps up to v) elsewhere and asks what then happens:
  the reordered steps are followed with the RESYNC policy of `scheduler.follow` (actors
  whose path changes keep their turns), and then *every* continuation of that run is
  explored (stateful DFS within a budget), so "holds" means that no way of going on
  from the reordered run violates any property;
- *after* moves delay w until after v, then after each further step of A in turn
  (A moving alone), until the property holds; once one holds, w is also put just after
  each step of A between w and v, earliest first, until the property holds there: the
  window may close before v (a step of A that makes w harmless, found by exploring, not
  assumed); *before* moves put w just before each earlier step of A it conflicts with,
  latest first, until the property holds;
- the first step of A that w must precede (the *window's opening*) is the observation
  A relied on; the earliest step of A after which w is harmless closes the window. The smallest
  move that makes the property hold is the counterfactual, measured by how many of A's
  steps w is moved across.

`explain` replays a schedule once to get its run; `explain_run` starts from a run at hand
(a search's counterexample), so that only the counterfactuals are run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs
import networkx as nx
from unpack_race.scheduler.choices import Choice, ReplayDivergence, replay
from unpack_race.scheduler.choices import Move as MoveActor
from unpack_race.scheduler.explore import BUDGET, PASS, explore
from unpack_race.scheduler.follow import (
    BLOCKED,
    FINISHED,
    RESYNC,
    checked,
    every_continuation,
    follow_schedule,
)
from unpack_race.scheduler.happens_before import conflict_resources, happens_before
from unpack_race.scheduler.kernel import Execution, Step
from unpack_race.scheduler.minimize import NotAViolation
from unpack_race.scheduler.program import Program
from unpack_race.scheduler.properties import Property, Violation
from unpack_race.scheduler.run import Run
from unpack_race.scheduler.schedule import ScheduledStep
from unpack_race.scheduler.strategies.replay import Replay

HOLDS, VIOLATED, OTHER, UNDECIDED, IMPOSSIBLE = "holds", "violated", "other", "undecided", "impossible"
BEFORE, AFTER = "before", "after"


@attrs.frozen
class Move:
    """One counterfactual: step `step` moved `where` step `anchor` (for AFTER moves,
    after `extra` further steps of the racing actor beyond `anchor`)."""

    step: int
    where: str
    anchor: int
    extra: int
    distance: int  # how many steps of the racing actor the move crosses
    verdict: str  # holds, violated, other, undecided, impossible
    message: str  # the violation found, or why the move is impossible
    executions: int  # continuations explored
    run: tuple[Step, ...] = ()  # the reordered run, up to where the continuations begin
    moved_to: int | None = None  # where the moved step now is in `run`
    later_may_work: bool = False  # impossible only here: a later place may still work

    def describe(self) -> str:
        if self.where == BEFORE:
            return f"step {self.step} moved before step {self.anchor}"
        if self.extra:
            more = "step" if self.extra == 1 else "steps"
            return f"step {self.step} moved after step {self.anchor} and {self.extra} more {more} of that actor"
        return f"step {self.step} moved after step {self.anchor}"


@attrs.frozen
class Explanation:
    steps: tuple[Step, ...]  # the run up to the violation, with footprints
    violation: Violation
    edges: tuple[tuple[int, int, str, tuple[str, ...]], ...]  # the transitive reduction
    racing: tuple[int, int] | None  # (w, a): a is v or an earlier step of v's actor
    resources: tuple[str, ...]  # what w and v meet on
    moves: tuple[Move, ...]  # every move tried, in the order tried
    opens: int | None  # the step of v's actor that w must precede for the property to hold
    closes: tuple[int, int] | None  # (anchor, extra) of the earliest AFTER move that holds
    passed_over: tuple[int, ...] = ()  # other candidates for w, tried first, whose delay did not help

    @property
    def smallest(self) -> Move | None:
        holding = [m for m in self.moves if m.verdict == HOLDS]
        return min(holding, key=lambda m: (m.distance, m.where != AFTER)) if holding else None

    def graph(self) -> nx.DiGraph:
        graph = nx.DiGraph()
        for step in self.steps:
            graph.add_node(step.index, actor=step.actor, effect=type(step.effect).__name__)
        for u, v, kind, resources in self.edges:
            graph.add_edge(u, v, kind=kind, resources=resources)
        return graph


def explain(
    program: Program,
    properties: Iterable[Property],
    steps: Sequence[ScheduledStep],
    max_executions: int = 20_000,
    max_after: int = 40,
    max_candidates: int = 5,
) -> Explanation:
    """Explain a violating schedule (see the module docstring). Raises ReplayDivergence
    when the steps do not replay strictly, NotAViolation when they violate nothing."""
    replayed = explore(program, Replay(steps), checked(properties))
    if replayed.violation is None:
        raise NotAViolation(f"its {len(replayed.run.steps)} steps violate no property")
    return explain_run(program, properties, replayed.run, replayed.violation, max_executions=max_executions,
                       max_after=max_after, max_candidates=max_candidates)


def explain_run(
    program: Program,
    properties: Iterable[Property],
    run: Run,
    violation: Violation,
    max_executions: int = 20_000,
    max_after: int = 40,
    max_candidates: int = 5,
) -> Explanation:
    """Explain a run of `program` already known to violate `violation` (a search's
    counterexample, or a schedule replayed once): the run itself is not run again, only
    the counterfactual reorderings are. Raises NotAViolation when the violation is of
    the initial state, before any step."""
    properties = checked(properties)
    if violation.step_index is None:
        raise NotAViolation("the property fails in the initial state, before any step")
    v = violation.step_index
    E = run.steps[: v + 1]
    reduced = happens_before(E, reduce=True)
    edges = tuple(sorted((u, w, d["kind"], tuple(d["resources"])) for u, w, d in reduced.edges(data=True)))
    victim = E[v]
    candidates: list[tuple[int, int]] = []  # (w, a): w of another actor conflicts with a, a step of v's actor
    for a in reversed([s for s in E if s.actor == victim.actor]):
        for s in reversed(E[: a.index]):
            if s.actor != victim.actor and s.footprint.conflicts_with(a.footprint) \
                    and all(w != s.index for w, _ in candidates):
                candidates.append((s.index, a.index))
    if not candidates:
        return Explanation(E, violation, edges, None, (), (), None, None)
    graph = happens_before(E)
    tried: list[tuple[tuple[int, int], list[Move], tuple[int, int] | None]] = []
    for pair in candidates[:max_candidates]:
        ctx = _Context(program, properties, E, graph, pair[0], v, violation.property, max_executions)
        moves: list[Move] = []
        closes = None
        for extra in range(max_after + 1):
            move = ctx.after(extra)
            moves.append(move)
            if move.verdict == HOLDS:
                closes = (v, extra)
                break
            if move.verdict == IMPOSSIBLE and not move.later_may_work:
                break
        tried.append((pair, moves, closes))
        if closes is not None:
            break
    (w, a), moves, closes = next((t for t in tried if t[2] is not None), tried[0])
    ctx = _Context(program, properties, E, graph, w, v, violation.property, max_executions)
    if closes is not None:  # does w become harmless earlier, after a step of A before v?
        for s in (s for s in E[w + 1: v] if s.actor == victim.actor):
            move = ctx.inside(s.index)
            moves.append(move)
            if move.verdict == HOLDS:
                closes = (s.index, 0)
                break
    opens = None
    for o in reversed(range(w)):
        if E[o].actor != victim.actor or not E[o].footprint.conflicts_with(E[w].footprint):
            continue
        move = ctx.before(o)
        moves.append(move)
        if move.verdict == HOLDS:
            opens = o
            break
    resources = conflict_resources(E[w].footprint, E[a].footprint)
    passed = tuple(t[0][0] for t in tried if t[0][0] != w)
    return Explanation(E, violation, edges, (w, a), resources, tuple(moves), opens, closes, passed)


class _Context:
    def __init__(self, program, properties, E, graph, w, v, prop, max_executions) -> None:
        self.program, self.properties, self.E, self.graph = program, properties, E, graph
        self.w, self.v, self.prop, self.max_executions = w, v, prop, max_executions
        self.mover = E[w].actor
        self.victim = E[v].actor

    def _judge(self, prefix: list) -> tuple[str, str, int, tuple[Step, ...]]:
        found = every_continuation(self.program, prefix, self.properties, self.max_executions)
        if found.verdict is PASS:
            verdict, message = HOLDS, ""
        elif found.verdict is BUDGET:
            verdict, message = UNDECIDED, f"the budget of {self.max_executions} continuations ran out"
        elif found.violation.property == self.prop:
            verdict, message = VIOLATED, found.violation.message
        else:
            verdict, message = OTHER, found.violation.message
        return verdict, message, found.executions, found.counterexample

    def after(self, extra: int) -> Move:
        E, w, v = self.E, self.w, self.v
        distance = sum(1 for s in E[w + 1: v + 1] if s.actor == self.victim) + extra
        kept = [s for s in E if not (s.actor == self.mover and s.index >= w)]
        order = [ScheduledStep.of(s) for s in kept]
        followed = follow_schedule(self.program, order, self.properties, RESYNC)
        at_v = len(kept) - 1
        blocked = next((d for d in followed.departures if d.index == at_v and d.kind in (BLOCKED, FINISHED)), None)
        if blocked is not None:
            return Move(w, AFTER, v, extra, distance, IMPOSSIBLE,
                        f"{self.victim} cannot take step {v} without step {w} before it", 0)
        if followed.violation is not None:
            verdict = VIOLATED if followed.violation.property == self.prop else OTHER
            return Move(w, AFTER, v, extra, distance, verdict, followed.violation.message, 0, followed.steps)
        taken = [Choice(s.actor, s.effect) for s in followed.steps]
        prefix = taken + [MoveActor(self.victim)] * extra + [ScheduledStep.of(E[w])]
        try:
            execution = replay(Execution(self.program, footprints=True), prefix, diverged=ReplayDivergence)
        except ReplayDivergence as stop:
            if stop.index < len(taken) + extra:
                return Move(w, AFTER, v, extra, distance, IMPOSSIBLE,
                            f"{self.victim} has no step {extra} after step {v} to wait for", 0)
            return Move(w, AFTER, v, extra, distance, IMPOSSIBLE,
                        f"{self.mover} cannot take step {w} there", 0, later_may_work=True)
        execution.close()
        verdict, message, executions, _ = self._judge(prefix)
        return Move(w, AFTER, v, extra, distance, verdict, message, executions, tuple(execution.steps), len(prefix) - 1)

    def inside(self, s: int) -> Move:
        """w (and the mover's steps up to s) moved just after step s of the racing actor,
        w < s < v; the rest keep their order."""
        E, w = self.E, self.w
        head = [x for x in E[: s + 1] if not (x.actor == self.mover and x.index >= w)]
        moved = [E[w]] + [x for x in E[w + 1: s + 1] if x.actor == self.mover]
        order = [ScheduledStep.of(x) for x in head + moved + list(E[s + 1:])]
        distance = sum(1 for x in E[w + 1: s + 1] if x.actor == self.victim)
        followed = follow_schedule(self.program, order, self.properties, RESYNC)
        moved_to = len(head)
        if any(d.index <= moved_to for d in followed.departures):
            return Move(w, AFTER, s, 0, distance, IMPOSSIBLE, f"{self.mover} cannot take step {w} there", 0)
        if followed.violation is not None:
            verdict = VIOLATED if followed.violation.property == self.prop else OTHER
            return Move(w, AFTER, s, 0, distance, verdict, followed.violation.message, 0, followed.steps, moved_to)
        verdict, message, executions, _ = self._judge([Choice(x.actor, x.effect) for x in followed.steps])
        return Move(w, AFTER, s, 0, distance, verdict, message, executions, followed.steps, moved_to)

    def before(self, o: int) -> Move:
        E, w, graph = self.E, self.w, self.graph
        after_o = nx.descendants(graph, o) | {o}
        between = E[o + 1: w]
        distance = sum(1 for s in E[o:w] if s.actor == self.victim)
        if any(s.actor == self.mover and s.index in after_o for s in between):
            return Move(w, BEFORE, o, 0, distance, IMPOSSIBLE,
                        f"{self.mover}'s own earlier steps depend on step {o}", 0)
        first = [s for s in E[:o]] + [s for s in between if s.index not in after_o] + [E[w]]
        rest = [E[o]] + [s for s in between if s.index in after_o] + list(E[w + 1:])
        order = [ScheduledStep.of(s) for s in first + rest]
        followed = follow_schedule(self.program, order, self.properties, RESYNC)
        if any(d.index < len(first) for d in followed.departures):
            return Move(w, BEFORE, o, 0, distance, IMPOSSIBLE, f"{self.mover} cannot take step {w} there", 0)
        moved_to = len(first) - 1
        if followed.violation is not None:
            verdict = VIOLATED if followed.violation.property == self.prop else OTHER
            return Move(w, BEFORE, o, 0, distance, verdict, followed.violation.message, 0, followed.steps, moved_to)
        verdict, message, executions, _ = self._judge([Choice(s.actor, s.effect) for s in followed.steps])
        return Move(w, BEFORE, o, 0, distance, verdict, message, executions, followed.steps, moved_to)


__all__ = ["AFTER", "BEFORE", "Explanation", "Move", "NotAViolation", "explain", "explain_run"]
