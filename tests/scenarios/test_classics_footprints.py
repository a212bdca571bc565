"""The classics' footprints are sound for partial-order reduction: in every reachable
state, two steps whose footprints do not conflict commute (either order reaches the same
state, with the same results) and neither enables nor disables the other.

A step's footprint is the one the kernel records when it is taken (which includes
`exit/<thread>` on a thread's last step); the other thread's is its pending step's,
evaluated in the same state, blocked or not. stack_bad is left out for its size; the
parametric programs are checked at N=3."""

from __future__ import annotations

import attrs
import pytest
from unpack_race.scenarios.classics import CLASSICS
from unpack_race.scenarios.classics.primitives import (
    AssertionFailed,
    Write,
    pthread_program,
)
from unpack_race.scheduler.effect import Footprint
from unpack_race.scheduler.kernel import Execution, HistoryInterner, Status

BY_NAME = {s.name: s for s in CLASSICS}
CHECKED = [
    ("reorder_3_bad", {}), ("reorder_4_bad", {}), ("twostage_bad", {}), ("wronglock_3_bad", {}),
    ("account_bad", {}), ("deadlock01_bad", {}), ("lazy01_bad", {}), ("carter01_bad", {}),
    ("token_ring_bad", {}), ("circular_buffer_bad", {}),
    ("lastzero", {"N": 3}), ("indexer", {"N": 3}), ("filesystem", {"N": 3}),
]


def _failed(execution: Execution, actor: str) -> bool:
    a = execution.actor(actor)
    return a.status is Status.FAILED and isinstance(a.error, AssertionFailed)


def independence_problems(program) -> tuple[int, int, list[str]]:
    """Visit every reachable state once and test every pair of steps whose footprints do
    not conflict. Returns (states, pairs tested, problems found)."""
    interner = HistoryInterner()

    def run(prefix):
        execution = Execution(program, interner, footprints=True)
        for actor in prefix:
            execution.step(actor)
        return execution

    seen, todo, problems, pairs = set(), [[]], [], 0
    while todo:
        prefix = todo.pop()
        execution = run(prefix)
        if prefix and _failed(execution, prefix[-1]):
            continue
        key = execution.state_key()
        if key in seen:
            continue
        seen.add(key)
        pending = {a.name: a.pending.footprint(execution.world) for a in execution.actors if a.pending is not None}
        runnable = execution.runnable()
        for a in runnable:
            after = run(prefix + [a])
            taken = after.steps[-1].footprint
            for b, waiting in pending.items():
                if b == a or taken.conflicts_with(waiting):
                    continue
                pairs += 1
                if (b in runnable) != (b in after.runnable()):
                    problems.append(f"after {prefix}, {a}'s step changes whether {b} can move")
                elif b in runnable and not _failed(after, a):
                    if run(prefix + [a, b]).state_key() != run(prefix + [b, a]).state_key():
                        problems.append(f"after {prefix}, {a} and {b} do not commute")
            todo.append(prefix + [a])
    return len(seen), pairs, problems


@pytest.mark.parametrize(("name", "params"), CHECKED, ids=[n for n, _ in CHECKED])
def test_steps_with_non_conflicting_footprints_commute_and_leave_each_other_enabled(name, params):
    states, pairs, problems = independence_problems(BY_NAME[name].build("as-written", params).program)
    assert problems == []
    assert states > 10 and pairs > 10


@attrs.frozen
class CarelessWrite(Write):
    """A write whose footprint forgets the variable: what the check above must catch."""

    def _touches(self, world):
        return set(), set()


def test_the_independence_check_catches_a_footprint_that_misses_a_conflict():
    def writes(value, effect):
        def body():
            yield effect("x", value)

        return body

    program = pthread_program("careless", {"x": 0}, (), [("a", writes(1, CarelessWrite)), ("b", writes(2, Write))])
    _, _, problems = independence_problems(program)
    assert problems and "do not commute" in problems[0]
    assert CarelessWrite("x", 1).footprint() == Footprint()


def test_steps_on_different_mutexes_and_reads_of_one_variable_do_not_conflict():
    # the precision a reduction relies on: no conflict where the C program has none
    program = BY_NAME["filesystem"].build("as-written", {"N": 2}).program
    execution = Execution(program)
    first, second = (execution.pending(t).footprint(execution.world) for t in ("thread0", "thread1"))
    assert first == Footprint.of(reads={"mutex/locki[0]", "var/inode[0]"}, writes={"mutex/locki[0]"})
    assert not first.conflicts_with(second)
    lastzero = Execution(BY_NAME["lastzero"].build("as-written", {"N": 2}).program)
    reader, writer1 = (lastzero.pending(t).footprint(lastzero.world) for t in ("reader", "writer1"))
    assert reader == Footprint.of(reads={"var/array[2]"}) and writer1 == Footprint.of(reads={"var/array[0]"})
    assert not reader.conflicts_with(writer1)
