"""Mazurkiewicz traces of executions: happens-before, a canonical key, and a brute-force
count of the distinct traces of a program.

Two interleavings are *equivalent* when one can be turned into the other by repeatedly
swapping two adjacent steps that are independent: steps of different actors whose
footprints do not conflict (`Footprint.conflicts_with`). An equivalence class is a
Mazurkiewicz trace (A. Mazurkiewicz, "Trace theory", Advanced Course on Petri Nets,
LNCS 255, 1987). All interleavings of one trace reach the same final state and the same
deadlocks, so a search with partial-order reduction needs to run only one execution per
trace (P. Godefroid, "Partial-Order Methods for the Verification of Concurrent Systems",
LNCS 1032, 1996, his thesis). This module is the yardstick for such a search: it says
which trace an execution belongs to, and how many traces a program has.

An execution's steps must carry footprints (`Execution(program, footprints=True)`), each
computed in the state where the step was taken. Then:

- `happens_before(steps)` is the least partial order containing program order (each
  actor's own steps in order) and the order of every two dependent steps as they
  happened; equivalent interleavings are exactly the linearisations of it;
- `trace_key(steps)` is a canonical form of the trace, the Foata normal form: step `e`
  sits at level 0 when no step happens before it, else one level above the highest step
  it depends on; the key lists the levels in order, each level's steps sorted by actor.
  A step is named by an `EventId` (actor, its index among that actor's steps, effect
  kind, effect arguments), which is the same in every interleaving of the trace. Two
  executions have equal keys exactly when they are equivalent. (This assumes, as DPOR
  does, that footprints are exact: swapping two independent steps changes neither
  their outcomes nor their footprints.)
- `count_traces(program)` runs every interleaving (DFS without reduction) and counts
  executions, distinct traces, distinct final worlds and distinct final states (the
  world plus how each actor ended: what it returned, or the error it failed with, or the
  step it is blocked on).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import attrs

from unpack_race.scheduler.kernel import Execution, Step
from unpack_race.scheduler.program import Program
from unpack_race.scheduler.strategies.dfs import DepthFirst

#: (actor, index of the step among the actor's own steps, effect kind, effect arguments)
EventId = tuple[str, int, str, tuple[tuple[str, Hashable], ...]]
#: the Foata normal form: levels of events, each level sorted by actor
TraceKey = tuple[tuple[EventId, ...], ...]


def dependent(a: Step, b: Step) -> bool:
    """Whether two steps may not be swapped: same actor, or conflicting footprints."""
    return a.actor == b.actor or _footprint(a).conflicts_with(_footprint(b))


def event_ids(steps: Sequence[Step]) -> tuple[EventId, ...]:
    """Each step's name, independent of where in the interleaving it happened."""
    counts: dict[str, int] = {}
    ids = []
    for step in steps:
        n = counts.get(step.actor, 0)
        counts[step.actor] = n + 1
        ids.append((step.actor, n, type(step.effect).__name__, _frozen(step.effect.args())))
    return tuple(ids)


def happens_before(steps: Sequence[Step]) -> tuple[frozenset[int], ...]:
    """For each position j in `steps`, the positions i < j that happen before it: the
    transitive closure of program order and of the order of dependent steps."""
    for step in steps:
        _footprint(step)
    before: list[int] = []  # bitsets: bit i set in before[j] when i happens before j
    for j, late in enumerate(steps):
        bits = 0
        for i in range(j):
            if not bits >> i & 1 and dependent(steps[i], late):
                bits |= 1 << i | before[i]
        before.append(bits)
    return tuple(frozenset(i for i in range(j) if bits >> i & 1) for j, bits in enumerate(before))


def foata_levels(steps: Sequence[Step]) -> tuple[tuple[int, ...], ...]:
    """The Foata normal form as positions in `steps`: level 0 holds the steps nothing
    happens before; a step sits one level above the highest step it depends on. Within a
    level no two steps are dependent (so no actor appears twice); they are sorted by actor."""
    levels: list[int] = []
    for j, late in enumerate(steps):
        _footprint(late)
        level = 0
        for i in range(j):
            if dependent(steps[i], late):
                level = max(level, levels[i] + 1)
        levels.append(level)
    grouped: list[list[int]] = [[] for _ in range(max(levels, default=-1) + 1)]
    for position, level in enumerate(levels):
        grouped[level].append(position)
    return tuple(tuple(sorted(group, key=lambda p: steps[p].actor)) for group in grouped)


def trace_key(steps: Sequence[Step]) -> TraceKey:
    """A canonical, hashable key of the Mazurkiewicz trace of these steps: equal for two
    executions exactly when they differ only by swapping adjacent independent steps."""
    ids = event_ids(steps)
    return tuple(tuple(ids[p] for p in level) for level in foata_levels(steps))


def equivalent(a: Sequence[Step], b: Sequence[Step]) -> bool:
    """Whether two executions (of the same program) are interleavings of one trace."""
    return trace_key(a) == trace_key(b)


@attrs.frozen
class TraceCount:
    """What brute-force enumeration found."""

    executions: int  # interleavings run (each to its end)
    traces: int  # distinct Mazurkiewicz traces among them
    keys: frozenset[TraceKey]  # their keys
    final_worlds: frozenset[Hashable]  # distinct world fingerprints at the end
    final_states: frozenset[Hashable]  # distinct `final_state`s: the world and every actor's end
    deadlocks: int  # executions that ended with a non-daemon actor blocked
    exhausted: bool  # True when every interleaving was run (no max_executions cut)


def count_traces(program: Program, *, max_executions: int | None = None) -> TraceCount:
    """Run every interleaving of `program` (DFS without reduction, footprints recorded)
    and count executions, distinct traces and distinct final worlds. The world must have
    `fingerprint()`. With `max_executions`, stop after that many; `exhausted` says whether
    the enumeration was complete. Exponential: for small programs only."""
    dfs = DepthFirst(state_caching=False)
    executions = deadlocks = 0
    keys: set[TraceKey] = set()
    finals: set[Hashable] = set()
    states: set[Hashable] = set()
    exhausted = True
    while dfs.begin_execution():
        if max_executions is not None and executions >= max_executions:
            exhausted = False
            break
        execution = Execution(program, None, footprints=True)
        while runnable := execution.runnable():
            execution.step(dfs.choose(execution, runnable))
        dfs.end_execution(execution)
        executions += 1
        deadlocks += execution.deadlocked()
        keys.add(trace_key(execution.steps))
        finals.add(execution.world.fingerprint())
        states.add(final_state(execution))
    return TraceCount(
        executions, len(keys), frozenset(keys), frozenset(finals), frozenset(states), deadlocks, exhausted
    )


def final_state(execution: Execution) -> Hashable:
    """The state an execution ended in, local states included: the world's fingerprint
    and, per actor, its status and what it returned (or the error it failed with, or the
    effect it is still waiting to perform). Executions of one trace end in equal final
    states; a search that explores every trace reaches every final state."""
    ends = []
    for actor in execution.actors:
        if actor.pending is not None:
            end: Hashable = ("waiting", actor.pending)
        elif actor.error is not None:
            end = ("failed", type(actor.error).__name__, str(actor.error))
        else:
            end = ("returned", _hashable(actor.returned))
        ends.append((actor.name, end))
    return (execution.world.fingerprint(), tuple(ends))


def _footprint(step: Step):
    if step.footprint is None:
        raise ValueError(
            f"step {step.index} ({step.narrate()}) has no recorded footprint; traces need an "
            f"execution built with Execution(program, footprints=True)"
        )
    return step.footprint


def _hashable(value: Any) -> Hashable:
    try:
        hash(value)
    except TypeError:
        return ("repr", repr(value))
    return value


def _frozen(value: Any) -> Hashable:
    if isinstance(value, dict):
        return tuple((k, _frozen(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    return value
