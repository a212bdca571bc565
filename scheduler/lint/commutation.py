"""Checking that steps whose footprints do not conflict are independent.

A partial-order reduction swaps adjacent steps whose footprints do not conflict; that is
sound only if they are independent (Godefroid 1996): in every explored state, for the
pending steps of two different actors whose footprints (as the kernel records them,
`exit/<actor>` included) do not conflict,
- taking one does not change whether the other is enabled (disabled steps included: a
  blocked actor's footprint is raced too), nor the other's footprint;
- when both are enabled, taking them in either order gives the same results (errors by
  kind and text) and the same world (compared completely, but for write-only
  bookkeeping).
Each pair is tried on copies of the world, outside any execution (`outcomes.perform`).
"""

from __future__ import annotations

from typing import Any

from unpack_race.scheduler.lint.findings import Collector, Finding
from unpack_race.scheduler.lint.outcomes import (
    enabled,
    footprint_taken,
    perform,
    show_footprint,
)
from unpack_race.scheduler.lint.space import Pending, State, StateSpace
from unpack_race.scheduler.world_values import canonical, copy_value, differences

ADVICE = ("their footprints say they touch nothing in common, so a reduction (DPOR) explores only one "
          "of their orders; find the resource they share and declare it in both footprints")


def check_commutation(space: StateSpace, found: Collector) -> int:
    """Try every independent pair once per distinct world; return how many were tried."""
    order = {name: i for i, name in enumerate(space.program.choice_names())}
    tried: set[tuple] = set()
    for state in space.states:
        if not state.expanded:
            continue
        world = space.worlds[state.world]
        steps = []
        for pending in state.pending:
            if pending.effect is None:
                continue
            transition = state.transitions.get(pending.actor)
            ends = transition is not None and transition.ends
            aborts = transition is not None and transition.aborts
            steps.append((pending, ends, footprint_taken(space.program, pending.effect, world, pending.actor, ends,
                                                         aborts)))
        for first, first_ends, first_fp in steps:
            if not first.enabled:
                continue
            for second, second_ends, second_fp in steps:
                if second.actor == first.actor or (second.enabled and order[second.actor] < order[first.actor]):
                    continue
                if first_fp.conflicts_with(second_fp):
                    continue
                key = (state.world, first.actor, first.effect, first_ends, second.actor, second.effect,
                       second.enabled, second_ends)
                if key in tried:
                    continue
                tried.add(key)
                _Pair(space, state, world, found, first, first_ends, second, second_ends).check()
    return len(tried)


class _Pair:
    def __init__(self, space: StateSpace, state: State, world: Any, found: Collector,
                 a: Pending, a_ends: bool, b: Pending, b_ends: bool) -> None:
        self.space, self.state, self.world, self.found = space, state, world, found
        self.a, self.a_ends, self.b, self.b_ends = a, a_ends, b, b_ends
        self.on_exit = space.program.on_exit

    def _say(self, pending: Pending) -> str:
        return f"{pending.actor}'s step {pending.effect.describe()}"

    def _add(self, kind: str, what: str, summary: str, advice: str, details=()) -> None:
        names = tuple(sorted((type(self.a.effect).__name__, type(self.b.effect).__name__)))
        state = self.state
        self.found.add((kind, what, names), state.depth, lambda: Finding(
            kind, summary, advice, path=self.space.path(state.id), details=tuple(details),
            steps=(f"{self.a.actor}: {self.a.effect.describe()}", f"{self.b.actor}: {self.b.effect.describe()}")))

    def _footprints(self) -> list[str]:
        program = self.space.program
        return [f"{self._say(p)}: {show_footprint(footprint_taken(program, p.effect, self.world, p.actor, e))}"
                for p, e in ((self.a, self.a_ends), (self.b, self.b_ends))]

    def check(self) -> None:
        a, b = self.a, self.b
        after_a = copy_value(self.world)
        done_a = perform(after_a, a.effect, a.actor, self.a_ends, self.on_exit)
        if self._changes(a, after_a, b, self.b_ends):
            return
        if not b.enabled:
            return
        after_b = copy_value(self.world)
        done_b = perform(after_b, b.effect, b.actor, self.b_ends, self.on_exit)
        if self._changes(b, after_b, a, self.a_ends):
            return
        then_b = perform(after_a, b.effect, b.actor, self.b_ends, self.on_exit)
        then_a = perform(after_b, a.effect, a.actor, self.a_ends, self.on_exit)
        for pending, alone, second in ((a, done_a, then_a), (b, done_b, then_b)):
            if alone.outcome != second.outcome:
                other = b if pending is a else a
                self._add("not-commuting", "result",
                          f"{self._say(pending)} and {self._say(other)} have footprints that do not conflict, "
                          f"but {pending.actor}'s step ends differently after {other.actor}'s",
                          ADVICE, [f"first: {alone.tell(pending.actor, pending.effect)}",
                                   f"after {other.actor}'s: {second.tell(pending.actor, pending.effect)}",
                                   *self._footprints()])
                return
        write_only = self.space.write_only
        if canonical(after_a, write_only) != canonical(after_b, write_only):
            self._add("not-commuting", "world",
                      f"{self._say(a)} and {self._say(b)} have footprints that do not conflict, but taking them "
                      f"in either order leaves different worlds",
                      ADVICE, [*differences(after_a, after_b, leave_out=write_only), *self._footprints()])

    def _changes(self, first: Pending, after: Any, second: Pending, second_ends: bool) -> bool:
        """Report whether taking `first` changed whether `second` is enabled, or its footprint."""
        before_enabled = second.enabled
        now = enabled(second.effect, after)
        if now != before_enabled:
            change = "disables" if before_enabled else "enables"
            self._add("enabling", change,
                      f"{self._say(first)} {change} {self._say(second)}, though their footprints do not conflict",
                      f"{type(second.effect).__name__}.footprint() must read what decides whether it is enabled, "
                      f"and {type(first.effect).__name__}.footprint() must declare writing it",
                      self._footprints())
            return True
        before = footprint_taken(self.space.program, second.effect, self.world, second.actor, second_ends)
        after_fp = footprint_taken(self.space.program, second.effect, after, second.actor, second_ends)
        if before != after_fp:
            self._add("footprint-changes", "footprint",
                      f"{self._say(first)} changes the footprint of {self._say(second)}, though their footprints "
                      f"do not conflict",
                      f"what {type(second.effect).__name__}.footprint() looks at must be among its reads, or "
                      f"{type(first.effect).__name__}.footprint() must declare writing it",
                      [f"before: {show_footprint(before)}", f"after {first.actor}'s step: {show_footprint(after_fp)}"])
            return True
        return False
