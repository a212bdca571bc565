"""wronglock-3-bad: two groups of threads guard one variable with different locks.

Source: SCTBench, benchmarks/concurrent-software-benchmarks/wronglock_3_bad.c
(preprocessed wronglock_bad.c with iNum1 = 1 funcA thread and iNum2 = 3 funcB threads;
from the ESBMC benchmarks).

The bug: funcA increments `dataValue` under dataLock and checks that it went up by
exactly one; the funcB threads increment it under thisLock, a different mutex, so
nothing stops a funcB from incrementing between funcA's reads, and
`if (dataValue != (x+1)) assert(0)` fails.

Scheduling points: main's creates (funcA0, funcB0..funcB2) and joins; every lock and
unlock; and, because the two locks do not exclude each other, every access to
dataValue (volatile) is racy and is its own step: funcA reads it (`x = dataValue`),
reads and writes it (`dataValue++`) and reads it again (the `if`, which evaluates the
assert); each funcB reads and writes it (`dataValue++`).

Expected verdict: violation of no-assertion-failure.
"""

from __future__ import annotations

from unpack_race.scenarios.base import Expectation
from unpack_race.scenarios.classics.classic import Classic
from unpack_race.scheduler.shared_memory import (
    Lock,
    Read,
    Unlock,
    Write,
    assert_that,
    create_all,
    join_all,
    pthread_program,
)
from unpack_race.scheduler.verdict import Verdict


def func_a():
    yield Lock("dataLock")
    x = yield Read("dataValue")  # int x = dataValue;
    value = yield Read("dataValue")  # dataValue++;
    yield Write("dataValue", value + 1)
    now = yield Read("dataValue")  # if (dataValue != (x+1)) assert(0);
    assert_that(now == x + 1, "0", f"funcA read dataValue == {x}, incremented it, and now reads {now}")
    yield Unlock("dataLock")


def func_b():
    yield Lock("thisLock")
    value = yield Read("dataValue")  # dataValue++;
    yield Write("dataValue", value + 1)
    yield Unlock("thisLock")


def wronglock_program(num1: int = 1, num2: int = 3):
    group1 = [f"funcA{i}" for i in range(num1)]
    group2 = [f"funcB{i}" for i in range(num2)]

    def main():
        yield from create_all(group1)
        yield from create_all(group2)
        yield from join_all(group1)
        yield from join_all(group2)

    threads = [(t, func_a) for t in group1] + [(t, func_b) for t in group2]
    return pthread_program(f"wronglock_{num2}_bad", {"dataValue": 0}, ("dataLock", "thisLock"), threads, main)


class WronglockBad(Classic):
    asserts = True
    name = "wronglock-3-bad"
    summary = "SCTBench: one variable guarded by two different locks; an increment slips in"
    source = "SCTBench benchmarks/concurrent-software-benchmarks/wronglock_3_bad.c"
    bug = ("funcA guards dataValue with dataLock, the funcB threads with thisLock; a funcB "
           "increment between funcA's reads breaks funcA's check that it added exactly one")
    expectation = Expectation(Verdict.VIOLATION, "no-assertion-failure", "the locks do not exclude each other")

    def program(self):
        return wronglock_program()

