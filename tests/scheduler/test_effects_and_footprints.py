"""Effects as data: footprints and when two steps conflict, arguments as JSON, and the
effect's name as schedules and traces use it."""

from __future__ import annotations

import itertools

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from toy_world import Audit, Read, Shared, Write, program, var
from unpack_race.scheduler.shared_memory import Op
from unpack_race.scheduler.effect import EVERYTHING, Effect, Footprint
from unpack_race.scheduler.explore import VIOLATION, explore
from unpack_race.scheduler.kernel import Execution
from unpack_race.scheduler.strategies.dpor import _conflicting
from unpack_race.scheduler.program import Program
from unpack_race.scheduler.properties import at_end
from unpack_race.scheduler.schedule import Schedule
from unpack_race.scheduler.strategies import DepthFirst, Replay

# -- Footprint.conflicts_with ----------------------------------------------------------


def test_two_reads_of_the_same_resource_do_not_conflict():
    assert not Footprint.of(reads={"x"}).conflicts_with(Footprint.of(reads={"x"}))
    assert not Footprint.of(reads={"x", "y"}).conflicts_with(Footprint.of(reads={"y", "z"}))


def test_a_write_conflicts_with_a_read_of_the_same_resource_either_way_round():
    write, read = Footprint.of(writes={"x"}), Footprint.of(reads={"x"})
    assert write.conflicts_with(read)
    assert read.conflicts_with(write)


def test_two_writes_of_the_same_resource_conflict():
    assert Footprint.of(writes={"x"}).conflicts_with(Footprint.of(writes={"x"}))


def test_steps_on_disjoint_resources_do_not_conflict():
    assert not Footprint.of(reads={"x"}, writes={"x"}).conflicts_with(Footprint.of(reads={"y"}, writes={"y"}))


@pytest.mark.parametrize(
    "other",
    [
        Footprint.of(reads={"x"}),
        Footprint.of(writes={"y"}),
        Footprint.of(reads={"a"}, writes={"b"}),
        Footprint.everything(),
    ],
)
def test_everything_conflicts_with_any_step_that_touches_something(other):
    assert Footprint.everything().writes == frozenset({EVERYTHING})
    assert Footprint.everything().conflicts_with(other)
    assert other.conflicts_with(Footprint.everything())


def test_a_star_in_reads_conflicts_with_any_write_but_not_with_reads():
    reads_all = Footprint.of(reads={EVERYTHING})
    assert reads_all.conflicts_with(Footprint.of(writes={"x"}))
    assert Footprint.of(writes={"x"}).conflicts_with(reads_all)
    assert not reads_all.conflicts_with(Footprint.of(reads={"x"}))


def test_a_step_that_touches_nothing_conflicts_with_nothing():
    assert not Footprint().conflicts_with(Footprint.everything())
    assert not Footprint.everything().conflicts_with(Footprint())


def test_an_effect_without_a_footprint_conflicts_with_everything_by_default():
    @attrs.frozen
    class Opaque(Effect):
        def apply(self, world):
            return None

    assert Opaque().footprint() == Footprint.everything()


def reference_conflict(a: Footprint, b: Footprint) -> bool:
    def same(r: str, s: str) -> bool:
        return r == s or EVERYTHING in (r, s)

    return any(same(w, t) for w in a.writes for t in b.reads | b.writes) or any(
        same(w, t) for w in b.writes for t in a.reads
    )


RESOURCES = st.frozensets(st.sampled_from(["x", "y", "z", EVERYTHING]), max_size=3)
FOOTPRINTS = st.builds(Footprint, RESOURCES, RESOURCES)


@given(FOOTPRINTS, FOOTPRINTS)
def test_conflicts_with_is_symmetric_and_matches_a_pairwise_reference(a, b):
    assert a.conflicts_with(b) == b.conflicts_with(a) == reference_conflict(a, b)


@given(FOOTPRINTS, FOOTPRINTS)
def test_footprints_that_only_read_never_conflict(a, b):
    assert not Footprint(a.reads, frozenset()).conflicts_with(Footprint(b.reads, frozenset()))


# -- effect data -----------------------------------------------------------------------


def test_effect_arguments_are_json_data_in_field_order_with_sets_sorted():
    @attrs.frozen
    class Move(Effect):
        source: str
        path: tuple[int, ...]
        via: frozenset[str]

    move = Move("home", (3, 1, 2), frozenset({"zeta", "alpha", "mid"}))
    assert move.args() == {"source": "home", "path": [3, 1, 2], "via": ["alpha", "mid", "zeta"]}
    assert move.describe() == "Move(source='home', path=[3, 1, 2], via=['alpha', 'mid', 'zeta'])"
    assert Audit(frozenset({"bob", "alice"})).describe() == "Audit(accounts=['alice', 'bob'])"


def test_an_effect_that_does_not_implement_apply_says_so():
    @attrs.frozen
    class Unfinished(Effect):
        pass

    with pytest.raises(NotImplementedError, match="Unfinished does not implement apply"):
        Unfinished().apply(None)


@attrs.frozen
class Copy(Op):
    """An effect with a field called `name`, like a model's `CreateImage(name, target)`."""

    name: str
    to: str
    takes_section = False

    def _apply(self, world: Shared) -> None:
        world.write(self.to, world.read(self.name))

    def _touches(self, world):
        return {var(self.name)}, {var(self.to)}


COPY_IS_CURRENT = at_end("copy-is-current", lambda end: end.world.vars["y"] == end.world.vars["x"])


def copier_program() -> Program:
    def copier():
        yield Copy("x", "y")

    def reader():
        value = yield Read("x")
        yield Write("x", value + 1)

    return program("copier", {"x": 0, "y": 0}, [("copier", copier), ("reader", reader)])


def test_an_effect_with_a_field_called_name_is_still_described_by_its_class_name():
    execution = Execution(copier_program())
    step = execution.step("copier")
    assert step.effect.describe() == "Copy(name='x', to='y')"
    assert step.narrate() == "copier: Copy(name='x', to='y')"


def test_a_schedule_names_the_effect_class_even_when_the_effect_has_a_name_field():
    result = explore(
        copier_program(), DepthFirst(state_caching=False), [COPY_IS_CURRENT]
    )
    assert result.verdict == VIOLATION
    schedule = Schedule.of("toy", "plain", {}, result.counterexample)
    copies = [s for s in schedule.steps if s.actor == "copier"]
    assert [(s.effect, dict(s.args)) for s in copies] == [("Copy", {"name": "x", "to": "y"})]
    replayed = explore(copier_program(), Replay(Schedule.loads(schedule.dumps()).steps), [COPY_IS_CURRENT])
    assert replayed.verdict == VIOLATION
    assert [s.effect for s in replayed.counterexample] == [s.effect for s in result.counterexample]


def test_dpor_s_one_against_many_conflict_test_agrees_with_conflicts_with():
    # strategies/dpor.py `_conflicting`, the vector clock's fast path, against the
    # definition, on every footprint over two resources and "*"
    sets = [frozenset(c) for n in range(3) for c in itertools.combinations(("a", "b", "*"), n)]
    footprints = [Footprint(reads, writes) for reads in sets for writes in sets]
    for one in footprints:
        test = _conflicting(one)
        assert [test(other) for other in footprints] == [other.conflicts_with(one) for other in footprints], one
