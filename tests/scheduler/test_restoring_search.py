"""The restoring mode of DFS with state caching (scheduler.restore) on toy programs: it
executes each distinct transition once (counted here by a walk of the state graph with
the kernel alone, not by the search), it keeps the nondeterminism check, it falls back to
replaying where an outcome is not a value, and it agrees run for run with the replaying
search on random programs, under DFS and DPOR. (With crashes, which rebuild every actor,
tests/scheduler/test_crashes.py checks both searches, restoring by default, against
brute force.)"""

from __future__ import annotations

import itertools
from collections.abc import Hashable

import attrs
import pytest
from hypothesis import given, settings
from toy_world import (
    build,
    distinct_transitions,
    independent_program,
    locked_counter,
    program,
    program_specs,
    racy_counter,
)
from unpack_race.scheduler.choices import NondeterminismError
from unpack_race.scheduler.effect import Effect, Footprint
from unpack_race.scheduler.explore import PASS, explore
from unpack_race.scheduler.program import Program
from unpack_race.scheduler.shared_memory import Read, Write
from unpack_race.scheduler.strategies import DepthFirst, Dpor
from unpack_race.scheduler.world_values import canonical

PROGRAMS = {
    "racy counter, 3 actors": lambda: racy_counter(3),
    "locked counter, 2 actors x 2 rounds": lambda: locked_counter(2, rounds=2),
    "independent actors": lambda: independent_program((3, 2, 2)),
}


def test_restoring_executes_each_distinct_transition_once_where_replaying_executes_prefixes_again():
    for name, make in PROGRAMS.items():
        states, transitions = distinct_transitions(make())
        restored = explore(make(), DepthFirst()).coverage
        replayed = explore(make(), DepthFirst(restore=False)).coverage
        assert (restored.states, restored.transitions) == (replayed.states, replayed.transitions) == \
               (states, transitions), name
        assert restored.steps / transitions <= 1.5, name
        assert replayed.steps > restored.steps, name  # the measure tells the two apart
    replayed = explore(racy_counter(3), DepthFirst(restore=False)).coverage
    assert replayed.steps / distinct_transitions(racy_counter(3))[1] > 1.5


def test_restoring_keeps_the_nondeterminism_check():
    instances = itertools.count()

    def wavering():
        # Nondeterministic on purpose: every generator after the first writes y, not x, first.
        yield Write("x" if next(instances) == 0 else "y", 1)
        yield Write("z", 1)

    def steady():
        yield Read("z")
        yield Read("z")

    def make():
        return program("wavering", {"x": 0, "y": 0, "z": 0}, [("w", wavering), ("s", steady)])

    with pytest.raises(NondeterminismError, match=r"step 0: restoring the state, the search recorded w to "
                                                  r"Write\(var='x', value=1\); rebuilt from its recorded outcomes, "
                                                  r"w yields Write\(var='y', value=1\) there; the model is not "
                                                  r"deterministic"):
        explore(make(), DepthFirst())
    instances = itertools.count()
    with pytest.raises(NondeterminismError, match=r"step 0: replaying the same choices"):
        explore(make(), DepthFirst(restore=False))


# -- an outcome that is not a value ------------------------------------------------------


@attrs.define
class Board:
    """A world whose one effect hands out a mutable part of itself."""

    notes: list[int] = attrs.field(factory=list)

    def fingerprint(self) -> Hashable:
        return tuple(self.notes)


@attrs.frozen
class Post(Effect):
    """Append `value` to the notes and return the notes themselves (a mutable outcome)."""

    value: int

    def apply(self, world: Board) -> list[int]:
        world.notes.append(self.value)
        return world.notes

    def footprint(self, world: Board) -> Footprint:
        return Footprint(frozenset({"notes"}), frozenset({"notes"}))

    def outcome_key(self, result):
        return len(result)


def test_past_an_outcome_that_is_not_a_value_the_search_replays_and_still_agrees():
    from unpack_race.scheduler.program import ActorSpec

    def poster(value):
        def body():
            seen = yield Post(value)
            yield Post(value + len(seen))  # reads the outcome after the step: it must be this run's
        return body

    def make():
        return Program("posters", Board, (ActorSpec("a", poster(1)), ActorSpec("b", poster(10))))

    runs = {}
    for restore in (False, True):
        runs[restore] = []
        result = explore(make(), DepthFirst(restore=restore),
                         on_run=lambda run, r=restore: runs[r].append(canonical(run.world)))
        assert result.verdict is PASS
    assert runs[True] == runs[False]


# -- random programs -------------------------------------------------------------------


@pytest.mark.parametrize("strategy", [DepthFirst, Dpor])
@settings(max_examples=60, deadline=None)
@given(spec=program_specs(max_total_steps=10))
def test_restoring_agrees_with_replaying_on_random_programs(strategy, spec):
    views = {}
    for restore in (False, True):
        runs = []
        result = explore(build(spec, daemons=True), strategy(restore=restore),
                         on_run=lambda run, into=runs: into.append(
                             (tuple((s.actor, s.effect, repr(s.result), s.footprint) for s in run.steps),
                              canonical(run.world))))
        views[restore] = (runs, result.verdict, result.states, result.coverage.transitions, result.executions)
    assert views[True] == views[False]
