"""twostage-bad: a two-stage update whose stages are locked separately.

Source: SCTBench, benchmarks/concurrent-software-benchmarks/twostage_bad.c (from the
ESBMC benchmarks), with its defaults iTThreads = 1 and iRThreads = 1.

The bug: funcA sets `data1Value = 1` under data1Lock, releases it, and only then sets
`data2Value = data1Value + 1` under data2Lock. funcB, reading both under their locks in
between the two stages, sees data1Value = 1 but data2Value = 0 and fails
`assert(t2 == t1 + 1)` (the source's `if (t2 != (t1 + 1)) assert(0)`).

Scheduling points: main's create of funcA0 then funcB0 and its joins of both; each
thread's lock and unlock of data1Lock and of data2Lock. Every shared access happens
under the lock protecting that variable (funcA's read of data1Value under data2Lock
races with nobody: only funcA writes data1Value), so it runs in the lock step. funcB
returns after unlocking data1Lock if it saw data1Value == 0. The assert (on funcB's
locals) is evaluated by its unlock of data2Lock.

Expected verdict: violation of no-assertion-failure.
"""

from __future__ import annotations

from unpack_race.scenarios.base import Expectation
from unpack_race.scenarios.classics.classic import Classic
from unpack_race.scheduler.shared_memory import (
    Lock,
    Section,
    Unlock,
    assert_that,
    create_all,
    join_all,
    pthread_program,
)
from unpack_race.scheduler.verdict import Verdict


def stage1(mem):
    """data1Value = 1;"""
    mem["data1Value"] = 1


def stage2(mem):
    """data2Value = data1Value + 1;"""
    mem["data2Value"] = mem["data1Value"] + 1


def read_data1(mem):
    """if (data1Value == 0) {...} t1 = data1Value;"""
    return mem["data1Value"]


def read_data2(mem):
    """t2 = data2Value;"""
    return mem["data2Value"]


def func_a():
    yield Lock("data1Lock", then=Section(stage1))
    yield Unlock("data1Lock")
    yield Lock("data2Lock", then=Section(stage2))
    yield Unlock("data2Lock")


def func_b():
    t1 = yield Lock("data1Lock", then=Section(read_data1))
    if t1 == 0:
        yield Unlock("data1Lock")
        return
    yield Unlock("data1Lock")
    t2 = yield Lock("data2Lock", then=Section(read_data2))
    yield Unlock("data2Lock")
    assert_that(t2 == t1 + 1, "t2 == t1 + 1", f"funcB read data1Value == {t1} but data2Value == {t2}")


def twostage_program(t_threads: int = 1, r_threads: int = 1):
    writers = [f"funcA{i}" for i in range(t_threads)]
    readers = [f"funcB{i}" for i in range(r_threads)]

    def main():
        yield from create_all(writers)
        yield from create_all(readers)
        yield from join_all(writers)
        yield from join_all(readers)

    threads = [(t, func_a) for t in writers] + [(t, func_b) for t in readers]
    return pthread_program(
        "twostage-bad", {"data1Value": 0, "data2Value": 0}, ("data1Lock", "data2Lock"), threads, main
    )


class TwostageBad(Classic):
    asserts = True
    name = "twostage-bad"
    summary = "SCTBench: a two-stage update, locked stage by stage, is seen half done"
    source = "SCTBench benchmarks/concurrent-software-benchmarks/twostage_bad.c"
    bug = ("funcA's two stages are locked separately, so funcB can read data1Value = 1 "
           "while data2Value is still 0")
    expectation = Expectation(Verdict.VIOLATION, "no-assertion-failure", "funcB can run between funcA's two stages")

    def program(self):
        return twostage_program()

