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

An execution's steps carry footprints (every `Run` has them), each computed in the state
where the step was taken. Happens-before (`scheduler.happens_before`) is the least partial
order containing program order and the order of every two dependent steps as they
happened; equivalent interleavings are exactly its linearisations. Then:

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
from unpack_race.scheduler.explore import Budget, explore
from unpack_race.scheduler.happens_before import dependent, require_footprints
from unpack_race.scheduler.kernel import Status, Step
from unpack_race.scheduler.program import Program
from unpack_race.scheduler.run import Run
from unpack_race.scheduler.strategies.dfs import DepthFirst

#: (actor, index of the step among the actor's own steps, effect kind, effect arguments)
EventId = tuple[str, int, str, tuple[tuple[str, Hashable], ...]]
#: the Foata normal form: levels of events, each level sorted by actor
TraceKey = tuple[tuple[EventId, ...], ...]


def event_ids(steps: Sequence[Step]) -> tuple[EventId, ...]:
    """Each step's name, independent of where in the interleaving it happened."""
    counts: dict[str, int] = {}
    ids = []
    for step in steps:
        n = counts.get(step.actor, 0)
        counts[step.actor] = n + 1
        ids.append((step.actor, n, type(step.effect).__name__, _frozen(step.effect.args())))
    return tuple(ids)


def foata_levels(steps: Sequence[Step]) -> tuple[tuple[int, ...], ...]:
    """The Foata normal form as positions in `steps`: level 0 holds the steps nothing
    happens before; a step sits one level above the highest step it depends on. Within a
    level no two steps are dependent (so no actor appears twice); they are sorted by actor."""
    require_footprints(steps)
    levels: list[int] = []
    for j, late in enumerate(steps):
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
    """Run every interleaving of `program` (DFS without reduction, its actors daemons so
    that an execution ending blocked is a final state) and count executions, distinct
    traces and distinct final worlds. The world must have `fingerprint()`. With
    `max_executions`, stop after that many; `exhausted` says whether the enumeration was
    complete. Exponential: for small programs only."""
    runs: list[Run] = []
    result = explore(program.all_daemons(), DepthFirst(state_caching=False),
                     budget=Budget(max_executions=max_executions), on_run=runs.append)
    return TraceCount(
        executions=len(runs),
        traces=len({trace_key(r.steps) for r in runs}),
        keys=frozenset(trace_key(r.steps) for r in runs),
        final_worlds=frozenset(r.world.fingerprint() for r in runs),
        final_states=frozenset(final_state(r) for r in runs),
        deadlocks=sum(not r.aborted and any(e.status is Status.RUNNING for e in r.ends if not _daemon(program, e.name)) for r in runs),
        exhausted=result.coverage.finished,
    )


def _daemon(program: Program, name: str) -> bool:
    return next(a.daemon for a in program.actors if a.name == name)


def final_state(run: Run) -> Hashable:
    """The state a run ended in, local states included: the world's fingerprint and, per
    actor, its status and what it returned (or the error it failed with, or the effect
    it is still waiting to perform, or that it crashed or never started). Runs of one
    trace end in equal final states; a
    search that explores every trace reaches every final state."""
    ends = []
    for actor in run.ends:
        if actor.pending is not None:
            end: Hashable = ("waiting", actor.pending)
        elif actor.status in (Status.CRASHED, Status.NOT_STARTED):
            end = (actor.status.value,)
        elif actor.error is not None:
            end = ("failed", type(actor.error).__name__, str(actor.error))
        else:
            end = ("returned", _hashable(actor.returned))
        ends.append((actor.name, end))
    return (run.world.fingerprint(), tuple(ends))


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
