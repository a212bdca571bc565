"""Lock races (strategies/dpor.py `_clock`, Nidhugg's LOCK_SUC) and their lint check
(scheduler/lint/locks.py).

A step that takes a mutex is raced with the previous step that took it, not with the
unlock between them. On small programs of lockers and a bystander, against brute force
(`count_traces`: every interleaving run, no reduction): source-DPOR and optimal DPOR
still explore every Mazurkiewicz trace, and optimal DPOR runs exactly one execution per
trace with none cut by its sleep sets, as the paper's optimality says for programs whose
locks are its only blocking (racing the unlock instead left 1-2 blocked executions on
each of these). The lint reports a lock that does not wait and a lock whose mutex the
step does not write.
"""

from __future__ import annotations

import attrs
import pytest
from unpack_race.scheduler.coverage import SLEEP_SET_BLOCKED
from unpack_race.scheduler.effect import Footprint
from unpack_race.scheduler.explore import explore
from unpack_race.scheduler.lint import lint
from unpack_race.scheduler.shared_memory import Lock, Read, Section, Unlock, Write, pthread_program
from unpack_race.scheduler.strategies.dpor import Dpor
from unpack_race.scheduler.strategies.optimal_dpor import OptimalDpor
from unpack_race.scheduler.traces import count_traces, trace_key


def bump(mem):
    """x += 1;"""
    mem["x"] = mem["x"] + 1


def locker():
    yield Lock("m", then=Section(bump))
    yield Unlock("m")


def plain_locker():
    """lock(m); x = x + 1 as a read and a write; unlock(m)"""
    yield Lock("m")
    value = yield Read("x")
    yield Write("x", value + 1)
    yield Unlock("m")


def bystander():
    """reads x outside any lock"""
    yield Read("x")


def two_locks():
    """lock(m); lock(n); y = 1; unlock(n); unlock(m)"""
    yield Lock("m")
    yield Lock("n")
    yield Write("y", 1)
    yield Unlock("n")
    yield Unlock("m")


def other_lock():
    """lock(n); y = 2; unlock(n)"""
    yield Lock("n")
    yield Write("y", 2)
    yield Unlock("n")


PROGRAMS = {
    "two lockers and a bystander": [("a", locker), ("b", locker), ("c", bystander)],
    "three lockers": [("a", locker), ("b", locker), ("c", locker)],
    "plain lockers and a bystander": [("a", plain_locker), ("b", plain_locker), ("c", bystander)],
    "nested and single locks": [("a", two_locks), ("b", other_lock), ("c", locker)],
}


@pytest.fixture(params=sorted(PROGRAMS))
def program(request):
    return pthread_program(request.param, {"x": 0, "y": 0}, ("m", "n"), PROGRAMS[request.param])


def complete_keys(program, strategy):
    runs = []
    result = explore(program.all_daemons(), strategy, on_run=runs.append)
    return result, [trace_key(r.steps) for r in runs if r.finished]


def test_source_dpor_explores_every_trace(program):
    brute = count_traces(program)
    result, keys = complete_keys(program, Dpor())
    assert brute.exhausted and set(keys) == brute.keys


def test_optimal_dpor_runs_one_execution_per_trace_and_none_blocked(program):
    brute = count_traces(program)
    result, keys = complete_keys(program, OptimalDpor())
    assert sorted(keys) == sorted(brute.keys)  # every trace, each once
    assert result.coverage.cut_by(SLEEP_SET_BLOCKED) == 0


def test_lock_and_unlock_declare_the_mutex_they_take_and_give_back():
    assert Lock("m", thread="a").footprint().acquires == {"mutex/m"}
    assert Unlock("m", thread="a").footprint().releases == {"mutex/m"}
    assert not Read("x", thread="a").footprint().acquires


# -- the lint ------------------------------------------------------------------------


@attrs.frozen
class Grab(Lock):
    """A lock that does not wait: enabled whoever holds the mutex (a model bug)."""

    def _enabled(self, world):
        return True

    def _apply(self, world):
        world.holders[self.mutex] = self.thread


@attrs.frozen
class Unwritten(Lock):
    """A lock that declares its mutex but reads it only."""

    def _touches(self, world):
        return {f"mutex/{self.mutex}"}, set()


def grabber():
    yield Grab("m")


def unwritten():
    yield Unwritten("m")


def kinds(program):
    return [f.summary for f in lint(program).findings if f.kind == "locks"]


def test_the_lint_finds_nothing_on_well_behaved_locks(program):
    assert kinds(program) == []


def test_the_lint_reports_a_lock_taken_while_another_actor_holds_it():
    found = kinds(pthread_program("grab", {"x": 0}, ("m",), [("a", grabber), ("b", grabber)]))
    assert any("acquires mutex/m while a holds it" in s for s in found), found


def test_the_lint_reports_a_declared_lock_the_step_does_not_write():
    found = kinds(pthread_program("unwritten", {"x": 0}, ("m",), [("a", unwritten)]))
    assert any("declares lock mutex/m but does not write it" in s for s in found), found


def test_footprints_keep_their_locks_when_the_kernel_adds_resources():
    fp = Footprint.of(reads={"mutex/m"}, writes={"mutex/m"}, acquires={"mutex/m"})
    assert fp.writing({"exit/a"}).acquires == fp.reading({"~abort"}).acquires == {"mutex/m"}
