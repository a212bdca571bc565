"""The pthread-style shared-memory module (scheduler.shared_memory): dormant children,
joins, locks, folded critical sections, footprints, asserts, and the world's
fingerprint."""

from __future__ import annotations

import json

import attrs
import pytest
from unpack_race.scheduler.shared_memory import (
    MAIN,
    NO_ASSERTION_FAILURE,
    AssertionFailed,
    Cas,
    Create,
    Join,
    Lock,
    Op,
    Read,
    Section,
    Shared,
    Unlock,
    Write,
    assertions_hold,
    assert_that,
    pthread_program,
)
from unpack_race.scheduler.effect import Footprint
from unpack_race.scheduler.explore import explore
from unpack_race.scheduler.kernel import Execution, Status, Step
from unpack_race.scheduler.program import ABORT
from unpack_race.scheduler.traces import count_traces
from unpack_race.scheduler.schedule import Schedule
from unpack_race.scheduler.strategies import DepthFirst
from unpack_race.scheduler.verdict import Verdict


def child_writes_x():
    yield Write("x", 1)


def parent_creates_then_joins():
    yield Create("child")
    yield Join("child")
    return "joined"


def family(child=child_writes_x, main=parent_creates_then_joins):
    return pthread_program("family", {"x": 0}, ("m",), [("child", child)], main)


# -- thread creation: the child exists from the start but is dormant -------------------------


def test_a_created_thread_is_an_actor_from_the_start_but_cannot_move_before_create():
    execution = Execution(family())
    assert execution.program.actor_names() == (MAIN, "child")
    assert execution.actor("child").pending == Write("x", 1, thread="child", first=True)
    assert execution.runnable() == (MAIN,)
    assert "has not been created yet" in execution.pending("child").blocked_on(execution.world)


def test_create_is_main_s_step_and_enables_the_child_s_first_step_without_a_step_of_its_own():
    execution = Execution(family())
    execution.step(MAIN)
    assert execution.world.created == {"child"}
    assert execution.runnable() == ("child",)  # main now waits in Join
    execution.step("child")
    assert [s.actor for s in execution.steps] == [MAIN, "child"]
    assert execution.world.vars["x"] == 1


def test_only_the_first_step_of_a_created_thread_waits_for_create():
    def two_writes():
        yield Write("x", 1)
        yield Write("x", 2)

    execution = Execution(family(child=two_writes))
    execution.step(MAIN)
    execution.step("child")
    assert execution.pending("child") == Write("x", 2, thread="child", first=False)


def test_the_footprint_of_a_dormant_first_step_reads_the_thread_that_create_writes():
    execution = Execution(family())
    first = execution.pending("child").footprint(execution.world)
    create = execution.pending(MAIN).footprint(execution.world)
    assert first == Footprint.of(reads={"thread/child"}, writes={"var/x"})
    assert create == Footprint.of(writes={"thread/child"})
    assert first.conflicts_with(create)


def test_threads_of_a_program_without_main_run_from_the_start():
    program = pthread_program("no-main", {"x": 0}, (), [("t1", child_writes_x), ("t2", child_writes_x)])
    execution = Execution(program)
    assert execution.runnable() == ("t1", "t2")
    assert execution.pending("t1").footprint(execution.world) == Footprint.of(writes={"var/x"})


# -- join and exit --------------------------------------------------------------------------


def test_join_is_enabled_exactly_when_the_thread_has_exited():
    execution = Execution(family(), footprints=True)
    execution.step(MAIN)
    join = execution.pending(MAIN)
    assert isinstance(join, Join) and not join.enabled(execution.world)
    assert join.blocked_on(execution.world) == "thread child has not exited"
    last = execution.step("child")
    assert execution.world.exited == {"child"}
    assert join.enabled(execution.world)
    # the kernel's on_exit hook marks the child's last step as writing its exit; every step of
    # a pthread program reads ~abort, which a failing assert's step would write
    assert last.footprint == Footprint.of(reads={"thread/child", ABORT}, writes={"var/x", "exit/child"})
    assert join.footprint(execution.world) == Footprint.of(reads={"exit/child"})
    assert last.footprint.conflicts_with(join.footprint(execution.world))
    execution.step(MAIN)
    assert execution.actor(MAIN).returned == "joined"
    assert execution.world.exited == {"child", MAIN}


def test_a_thread_with_no_step_counts_as_exited_and_main_can_join_it_right_after_creating_it():
    def nothing():
        return
        yield

    execution = Execution(family(child=nothing))
    assert execution.actor("child").status is Status.DONE
    execution.step(MAIN)
    assert execution.runnable() == (MAIN,)
    execution.step(MAIN)
    assert execution.actor(MAIN).status is Status.DONE


def test_a_join_that_never_becomes_enabled_is_reported_as_a_deadlock():
    def holds_forever():
        yield Lock("m")

    def main():
        yield Lock("m")
        yield Create("child")
        yield Join("child")

    result = explore(family(child=holds_forever, main=main), DepthFirst(state_caching=False), ())
    assert result.verdict == Verdict.VIOLATION
    assert result.violation.property == "no-deadlock"
    assert "main waits to Join(child='child') (thread child has not exited)" in result.violation.message
    assert "child waits to Lock(mutex='m') (mutex m is held by main)" in result.violation.message


# -- mutexes and folded critical sections -----------------------------------------------------


def bump(mem, by):
    """x += by;"""
    mem["x"] = mem["x"] + by
    return mem["x"]


def test_a_lock_is_disabled_while_another_thread_holds_it_and_records_its_holder():
    def locker():
        yield Lock("m", then=Section(bump, (1,)))
        yield Unlock("m")

    program = pthread_program("locks", {"x": 0}, ("m",), [("a", locker), ("b", locker)])
    execution = Execution(program)
    assert execution.step("a").result == 1
    assert execution.world.holders == {"m": "a"}
    assert execution.runnable() == ("a",)
    assert execution.pending("b").blocked_on(execution.world) == "mutex m is held by a"
    execution.step("a")
    assert execution.world.holders == {}
    assert execution.step("b").result == 2


def test_a_critical_section_runs_inside_the_lock_step_and_its_accesses_join_the_footprint():
    lock = Lock("m", then=Section(bump, (2,)), thread="a")
    world = Shared({"x": 5, "y": 0}, frozenset({"m"}))
    assert lock.footprint(world) == Footprint.of(reads={"mutex/m", "var/x"}, writes={"mutex/m", "var/x"},
                                                 acquires={"mutex/m"})
    assert world.vars == {"x": 5, "y": 0}, "computing the footprint changes nothing"
    assert lock.apply(world) == 7
    assert world.vars["x"] == 7 and world.holders == {"m": "a"}
    # without a world, nothing can be said about what the section touches
    assert lock.footprint() == Footprint.everything()
    assert Lock("m").footprint() == Footprint.of(reads={"mutex/m"}, writes={"mutex/m"}, acquires={"mutex/m"})


def test_a_section_s_footprint_follows_the_branch_it_would_take_now():
    def guarded(mem):
        """if (flag) x = 1;"""
        if mem["flag"]:
            mem["x"] = 1

    lock = Lock("m", then=Section(guarded))
    down = Shared({"flag": 0, "x": 0}, frozenset({"m"}))
    up = Shared({"flag": 1, "x": 0}, frozenset({"m"}))
    assert lock.footprint(down).writes == {"mutex/m"}
    assert lock.footprint(up).writes == {"mutex/m", "var/x"}


def test_only_steps_that_leave_the_variables_alone_may_carry_a_section():
    with pytest.raises(TypeError, match="Read cannot carry a section"):
        Read("x", then=Section(bump, (1,)))


def test_unlocking_a_mutex_held_by_another_thread_is_a_bug_in_the_model():
    world = Shared({}, frozenset({"m"}), holders={"m": "a"})
    with pytest.raises(RuntimeError, match="b unlocks m, held by a"):
        Unlock("m", thread="b").apply(world)


def test_a_misspelt_variable_or_mutex_is_refused_with_the_declared_names():
    world = Shared({"x": 0}, frozenset({"m"}))
    with pytest.raises(KeyError, match="no shared variable 'y'"):
        Read("y").apply(world)
    with pytest.raises(KeyError, match="no mutex 'n'"):
        Lock("n").enabled(world)


# -- racy accesses and cas ----------------------------------------------------------------------


def test_a_racy_increment_is_a_read_step_and_a_write_step_and_can_lose_an_update():
    def increment():
        value = yield Read("x")
        yield Write("x", value + 1)

    program = pthread_program("racy", {"x": 0}, (), [("a", increment), ("b", increment)])
    execution = Execution(program)
    for actor in ("a", "b", "a", "b"):
        execution.step(actor)
    assert execution.world.vars["x"] == 1


def test_a_cas_that_would_fail_only_reads_the_cell():
    world = Shared({"t[1]": 0}, frozenset())
    cas = Cas("t[1]", 0, 11)
    assert cas.footprint(world) == Footprint.of(reads={"var/t[1]"}, writes={"var/t[1]"})
    assert cas.apply(world) is True and world.vars["t[1]"] == 11
    assert cas.footprint(world) == Footprint.of(reads={"var/t[1]"})
    assert cas.apply(world) is False and world.vars["t[1]"] == 11
    assert not cas.footprint(world).conflicts_with(Cas("t[1]", 0, 22).footprint(world))


# -- asserts -------------------------------------------------------------------------------------


def test_a_failing_assert_in_a_thread_s_own_code_fails_the_step_that_evaluated_it():
    def reader():
        value = yield Read("x")
        assert_that(value == 0, "x == 0", f"x is {value}")
        yield Write("x", 2)

    program = pthread_program("asserts", {"x": 0}, (), [("w", child_writes_x), ("r", reader)])
    result = explore(program, DepthFirst(state_caching=False), (assertions_hold(),))
    assert result.verdict == Verdict.VIOLATION and result.violation.property == NO_ASSERTION_FAILURE
    assert [(s.actor, s.effect.name) for s in result.counterexample] == [("w", "Write"), ("r", "Read")]
    assert "r: assert(x == 0) failed: x is 1" in result.violation.message


def test_a_failing_assert_inside_a_critical_section_fails_the_lock_step_and_stops_the_thread():
    def check_x(mem):
        """assert(x == 0);"""
        assert_that(mem["x"] == 0, "x == 0")

    def checker():
        yield Lock("m", then=Section(check_x))
        yield Unlock("m")

    program = pthread_program("asserts", {"x": 0}, ("m",), [("w", child_writes_x), ("c", checker)])
    execution = Execution(program)
    execution.step("w")
    step = execution.step("c")
    assert isinstance(step.error, AssertionFailed)
    assert execution.actor("c").status is Status.FAILED
    assert "c: locks m; holding it, runs { assert(x == 0); }; assert(x == 0) failed" in step.narrate()
    result = explore(program, DepthFirst(state_caching=False), (assertions_hold(),))
    assert result.violation.property == NO_ASSERTION_FAILURE and result.violation.step_index == 1


def assert_x_is_0():
    value = yield Read("x")
    assert_that(value == 0, "x == 0", f"x is {value}")


def writes_y_twice():
    yield Write("y", 1)
    yield Write("y", 2)


def aborting_program():
    return pthread_program("abort", {"x": 0, "y": 0}, (), [("w", child_writes_x), ("r", assert_x_is_0),
                                                            ("y", writes_y_twice)])


def test_a_failing_assert_ends_the_whole_execution_at_its_step_as_c_s_abort_does():
    execution = Execution(aborting_program(), footprints=True)
    execution.step("w")
    execution.step("y")
    step = execution.step("r")
    assert execution.actor("r").status is Status.FAILED
    assert execution.aborted == step
    assert execution.runnable() == ()  # y still has a write to do, but nobody moves after the abort
    assert execution.actor("y").pending == Write("y", 2, thread="y")
    assert not execution.deadlocked()  # threads left with work by an abort are not deadlocked
    assert ABORT in step.footprint.writes  # it disables every other step, which all read ~abort
    assert execution.footprint("y").conflicts_with(step.footprint)


def test_an_assert_that_holds_ends_nothing():
    execution = Execution(aborting_program())
    execution.step("r")
    assert execution.aborted is None and execution.actor("r").status is Status.DONE
    assert execution.runnable() == ("w", "y")


def test_brute_force_counts_executions_ending_at_the_failed_assert():
    # By hand: w (1 step), r (1 step: its read and assert), y (2 steps). The assert fails iff
    # w moved before r. Interleavings of 4 steps keeping y's order: 4!/2 = 12; in half of them
    # (6) w comes before r. An abort cuts such a run right after r: the distinct runs are then
    # the prefixes ending at r with w before it: (w r), (w y r), (y w r), (w y y r), (y w y r),
    # (y y w r) = 6 runs; plus the 6 runs where r comes first, which run to the end. 12 in all,
    # 6 of them ending at the abort, none deadlocked.
    count = count_traces(aborting_program())
    assert count.executions == 12 and count.deadlocks == 0
    runs = []
    explore(aborting_program().all_daemons(), DepthFirst(state_caching=False), on_run=runs.append)
    assert sum(r.aborted for r in runs) == 6
    assert sorted(len(r.steps) for r in runs if r.aborted) == [2, 3, 3, 4, 4, 4]
    assert not any(r.deadlocked for r in runs)


# -- effects as data, the world's fingerprint ----------------------------------------------------------


def test_effect_arguments_are_json_and_name_the_section_but_not_the_thread():
    lock = Lock("m", then=Section(bump, (3,)), thread="a", first=True)
    assert lock.args() == {"mutex": "m", "then": "bump(3)"}
    assert json.loads(json.dumps(lock.args())) == lock.args()
    assert lock.describe() == "Lock(mutex='m', then='bump(3)')"
    assert Write("a[2]", -1).args() == {"var": "a[2]", "value": -1}


@attrs.frozen
class ReadAll(Op):
    """A primitive of a user's own with a set-valued argument (sets iterate in an order
    that depends on PYTHONHASHSEED)."""

    names: frozenset[str]
    order: tuple[int, ...] = ()
    takes_section = False

    def _apply(self, world):
        return sum(world.read(n) for n in self.names)

    def _touches(self, world):
        return {f"var/{n}" for n in self.names}, set()


def test_a_primitive_s_set_and_tuple_arguments_are_json_data_like_any_effect_s():
    effect = ReadAll(frozenset({"zeta", "alpha", "mid"}), (3, 1), thread="t1")
    assert effect.args() == {"names": ["alpha", "mid", "zeta"], "order": [3, 1]}
    assert effect.describe() == "ReadAll(names=['alpha', 'mid', 'zeta'], order=[3, 1])"
    loaded = Schedule.loads(Schedule.of("toy", "plain", {}, [Step(0, "t1", effect, 0)]).dumps())
    assert loaded.steps[0].matches(effect)  # a schedule of it is JSON and replays


def test_a_section_narrates_its_c_code_with_the_arguments_in_place():
    lock = Lock("m", then=Section(bump, (3,)))
    assert lock.narrate("t1", 8, None) == "t1: locks m; holding it, runs { x += 3; } -> 8"
    assert Read("a").narrate("t2", 0, None) == "t2: reads a == 0"
    assert Create("t1").narrate(MAIN, None, None) == "main: pthread_create(t1): t1 may now run"


def test_the_fingerprint_does_not_depend_on_insertion_order():
    one = Shared({"a": 1, "b": 0, "c": 2}, frozenset({"m", "n"}), {"m": "t1", "n": "t2"}, {"t1", "t2"}, {"t2"})
    two = Shared({"c": 2, "a": 1, "b": 0}, frozenset({"n", "m"}), {"n": "t2", "m": "t1"}, {"t2", "t1"}, {"t2"})
    assert one.fingerprint() == two.fingerprint()
    assert hash(one.fingerprint()) == hash(two.fingerprint())
    three = attrs.evolve(two, vars={"c": 2, "a": 1, "b": 3})
    assert three.fingerprint() != one.fingerprint()
