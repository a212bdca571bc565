"""Checking the world's fingerprint against a complete copy of the world.

State caching keys a state by `world.fingerprint()` and the actors' histories, so two
worlds with the same fingerprint must not differ in anything a step or a property
reads. The lint groups the distinct worlds it reached (told apart by their complete
canonical form, `world_values.canonical`) by fingerprint; in each group it takes every
effect pending in any state of the group and, on copies, asks it of the first world
and of each other one: it must be enabled in both or neither, end the same way (result
or error), and leave worlds with equal fingerprints; the program's on_exit hook must
leave equal fingerprints too, and the on_state properties must agree. A world that
gets two different fingerprints is reported as well (the fingerprint depends on
insertion order).

Leaving out of the fingerprint what nothing reads is sound and is not reported (the
difference shows in no step): a counter kept only as "is it 0", say, when every step
that reads it only compares it with 0.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from unpack_race.scheduler.effect import Effect
from unpack_race.scheduler.lint.findings import Collector, Finding
from unpack_race.scheduler.lint.outcomes import enabled, perform
from unpack_race.scheduler.lint.space import State, StateSpace
from unpack_race.scheduler.world_values import (
    copy_value,
    differences,
    differing_attributes,
)


def check_fingerprints(space: StateSpace, found: Collector) -> tuple[int, set[tuple[int, int]]]:
    """Compare each group of distinct worlds sharing a fingerprint; return how many groups
    were compared and the pairs of worlds found apart (for `state_keys`)."""
    first_state: dict[int, State] = {}
    states_of: dict[int, list[State]] = {}
    groups: dict[Hashable, list[int]] = {}
    for state in space.states:
        if state.fingerprint is None:
            continue
        if state.world not in first_state:
            first_state[state.world] = state
            groups.setdefault(state.fingerprint, []).append(state.world)
        states_of.setdefault(state.world, []).append(state)
    for world_id, fingerprints in enumerate(space.world_fingerprints):
        if len(fingerprints) > 1:
            state = first_state[world_id]
            found.add(("fingerprint", "unstable"), state.depth, lambda: Finding(
                "fingerprint", f"the same world gets {len(fingerprints)} different fingerprints",
                "a fingerprint must be a function of the world alone, equal for equal worlds: sort every "
                "mapping and set it includes (insertion order depends on the interleaving)",
                path=space.path(state.id)))
    apart: set[tuple[int, int]] = set()
    compared = 0
    for worlds in groups.values():
        if len(worlds) < 2:
            continue
        compared += 1
        effects: dict[tuple[str, Effect], None] = {}
        for world_id in worlds:
            for state in states_of[world_id]:
                for pending in state.pending:
                    if pending.effect is not None:
                        effects.setdefault((pending.actor, pending.effect), None)
        reference = worlds[0]
        for other in worlds[1:]:
            if _Compare(space, found, first_state[reference], first_state[other]).tells_apart(list(effects)):
                apart.add((reference, other))
    return compared, apart


class _Compare:
    def __init__(self, space: StateSpace, found: Collector, one: State, other: State) -> None:
        self.space, self.found, self.one, self.other = space, found, one, other
        self.world_one, self.world_other = space.worlds[one.world], space.worlds[other.world]
        self.world_class = type(self.world_one).__name__

    def tells_apart(self, effects: list[tuple[str, Effect]]) -> bool:
        for prop, one, other in zip(self.space.on_state, self.one.on_state, self.other.on_state):
            if one != other:
                return self._report(f"property {prop.name}", f"property {prop.name}",
                                    f"it {one} in one and {other} in the other", [])
        for actor, effect in effects:
            if self._effect(actor, effect):
                return True
        if self.space.program.on_exit is not None:
            for actor in self.space.actor_names():
                one, other = copy_value(self.world_one), copy_value(self.world_other)
                self.space.program.on_exit(one, actor)
                self.space.program.on_exit(other, actor)
                if one.fingerprint() != other.fingerprint():
                    return self._report("on_exit", f"the on_exit hook for {actor}",
                                        "after it the two worlds have different fingerprints",
                                        differences(one, other))
        return False

    def _effect(self, actor: str, effect: Effect) -> bool:
        name, what = type(effect).__name__, f"{actor}'s step {effect.describe()}"
        one, other = enabled(effect, copy_value(self.world_one)), enabled(effect, copy_value(self.world_other))
        if one != other:
            return self._report(name, what, f"it is {_able(one)} in one and {_able(other)} in the other", [])
        if one is not True:
            return False
        after_one, after_other = copy_value(self.world_one), copy_value(self.world_other)
        done_one = perform(after_one, effect, actor)
        done_other = perform(after_other, effect, actor)
        if done_one.outcome != done_other.outcome:
            one_told, other_told = done_one.tell(actor, effect), done_other.tell(actor, effect)
            told = [f"in one: {one_told}", f"in the other: {other_told}"]
            if one_told == other_told:  # the same words: show where the results differ
                told = ["its results differ in:", *differences(done_one.result, done_other.result, where="its result")]
            return self._report(name, what, "it ends differently", told, plain=one_told != other_told)
        if after_one.fingerprint() != after_other.fingerprint():
            return self._report(name, what, "after it the two worlds have different fingerprints",
                                ["after it, " + line for line in differences(after_one, after_other)])
        return False

    def _report(self, reader: str, what: str, how: str, details: list[str], plain: bool = True) -> bool:
        """`reader` (an effect class, a property, the on_exit hook) tells the worlds apart;
        `plain`: in a way the model's own words show (preferred in the report)."""
        leave_out = self.space.write_only
        attributes = differing_attributes(self.world_one, self.world_other, leave_out)
        where = ", ".join(f"world.{a}" for a in attributes) or "the world"
        one, other = self.one, self.other
        # the most telling pair: told apart in words, with the fewest differences, the shallowest
        rank = (not plain, len(attributes), max(one.depth, other.depth))
        self.found.add(("fingerprint", reader), rank, lambda: Finding(
            "fingerprint",
            f"two states with the same fingerprint differ in {where}, and {what} tells them apart: {how}",
            f"{self.world_class}.fingerprint() must include what {reader} reads there ({where}); state "
            f"caching would merge the two states and explore only one of them",
            path=self.space.path(one.id), other_path=self.space.path(other.id),
            details=("the worlds differ in:", *differences(self.world_one, self.world_other, leave_out=leave_out),
                     *details)))
        return True


def _able(value: Any) -> str:
    return {True: "enabled", False: "disabled"}.get(value, str(value))
