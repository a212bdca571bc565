"""Checking the engine's state key against the complete state.

State caching (and the state counts) treat two states with the same `state_key()`
(the world's fingerprint plus each actor's history as `outcome_key` keeps it) as one,
and explore only the first. That is sound only if they behave the same. The lint groups
the states it explored completely by state key and compares each with the group's
shallowest one: the same pending effect for every actor, enabled alike; the same
values of the on_state and on_end properties and the same deadlock; and for every step
out, the same complete outcome, the same on_step values and a successor with the same
state key. By induction over the explored states, that makes the key a sound
abstraction within the bounds.

A difference comes from one of two places: the worlds differ in something the
fingerprint leaves out (`fingerprints` usually catches that first, and the pair is then
not reported twice), or an actor's histories differ in a result that its effect's
`outcome_key` drops although the actor acts on it.
"""

from __future__ import annotations

from collections.abc import Hashable

from unpack_race.scheduler.lint.findings import Collector, Finding
from unpack_race.scheduler.lint.space import State, StateSpace
from unpack_race.scheduler.world_values import differences


def check_state_keys(space: StateSpace, found: Collector, apart: set[tuple[int, int]]) -> int:
    """Compare the members of every group of explored states sharing a state key; return
    how many groups had more than one member. `apart`: pairs of worlds the fingerprint
    check already reported."""
    groups: dict[Hashable, list[State]] = {}
    for state in space.states:
        if state.expanded and state.key is not None:
            groups.setdefault(state.key, []).append(state)
    compared = 0
    for members in groups.values():
        if len(members) < 2:
            continue
        compared += 1
        reference = min(members, key=lambda s: (s.depth, s.id))
        for other in members:
            if other is reference:
                continue
            pair = (min(reference.world, other.world), max(reference.world, other.world))
            if pair in apart or (pair[1], pair[0]) in apart:
                continue
            difference = _difference(space, reference, other)
            if difference is not None:
                _report(space, found, reference, other, *difference)
    return compared


def _difference(space: StateSpace, one: State, other: State) -> tuple[str, str] | None:
    """(what differs, in a word for grouping; how, in a sentence), or None."""
    for mine, theirs in zip(one.pending, other.pending):
        if (mine.effect, mine.enabled) != (theirs.effect, theirs.enabled):
            return (f"pending/{mine.actor}",
                    f"{mine.actor} {_next(mine)} in one and {_next(theirs)} in the other")
    for prop, mine, theirs in zip(space.on_state, one.on_state, other.on_state):
        if mine != theirs:
            return f"property/{prop.name}", f"property {prop.name} {mine} in one and {theirs} in the other"
    if one.on_end != other.on_end:
        for prop, mine, theirs in zip(space.on_end, one.on_end or (), other.on_end or ()):
            if mine != theirs:
                return f"property/{prop.name}", f"property {prop.name} {mine} in one and {theirs} in the other"
    if one.deadlocked != other.deadlocked:
        return "deadlock", "one is a deadlock and the other is not"
    for actor, mine in one.transitions.items():
        theirs = other.transitions.get(actor)
        if theirs is None:
            continue
        what = f"{actor}'s step {mine.effect.describe()}"
        if mine.outcome != theirs.outcome:
            return (f"outcome/{type(mine.effect).__name__}",
                    f"{what} ends differently: in one, {mine.step.narrate()}; in the other, {theirs.step.narrate()}")
        for prop, a, b in zip(space.on_step, mine.on_step, theirs.on_step):
            if a != b:
                return f"property/{prop.name}", f"after {what}, property {prop.name} {a} in one and {b} in the other"
        if mine.target is not None and theirs.target is not None \
                and space.states[mine.target].key != space.states[theirs.target].key:
            return (f"successor/{type(mine.effect).__name__}",
                    f"after {what} the two states have different state keys")
    return None


def _next(pending) -> str:
    if pending.effect is None:
        return "has finished"
    return f"waits to take {pending.effect.describe()} ({'enabled' if pending.enabled else 'blocked'})"


def _report(space: StateSpace, found: Collector, one: State, other: State, what: str, how: str) -> None:
    leave_out = space.write_only
    world_diff = differences(space.worlds[one.world], space.worlds[other.world], leave_out=leave_out)
    history_diff = _history_differences(space, one, other)
    parts = []
    if world_diff:
        parts.append("the world (which the fingerprint leaves out)")
    if history_diff:
        parts.append("an actor's history (which an outcome_key drops)")
    details = []
    if world_diff:
        details += ["the worlds differ in:", *world_diff]
    details += history_diff
    world_class = type(space.worlds[one.world]).__name__
    advice = (f"either {world_class}.fingerprint() leaves out what a step reads, or an effect's outcome_key "
              f"drops part of a result its actor acts on: put it back")
    found.add(("state-key", what), max(one.depth, other.depth), lambda: Finding(
        "state-key",
        f"two states with the same state key behave differently: {how}"
        + (f"; they differ in {' and '.join(parts)}" if parts else ""),
        advice, path=space.path(one.id), other_path=space.path(other.id), details=tuple(details)))


def _history_differences(space: StateSpace, one: State, other: State) -> list[str]:
    out = []
    for actor, mine, theirs in zip(space.actor_names(), one.histories, other.histories):
        if mine == theirs:
            continue
        a, b = space.histories.steps(mine), space.histories.steps(theirs)
        for index, (x, y) in enumerate(zip(a, b)):
            if x.effect != y.effect or x.result != y.result or str(x.error) != str(y.error):
                out.append(f"{actor}'s step {index + 1} of its own: {x.narrate()} in one; {y.narrate()} in the other")
                break
        else:
            out.append(f"{actor} took {len(a)} steps in one and {len(b)} in the other")
    return out
