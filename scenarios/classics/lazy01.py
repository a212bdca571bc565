"""lazy01-bad: an assert that holds only if a thread runs early.

Source: SCTBench, benchmarks/concurrent-software-benchmarks/lazy01_bad.c (from the
ESBMC benchmarks; the name comes from lazy sequentialisation).

The bug: thread1 adds 1 and thread2 adds 2 to `data` under the mutex; thread3 fails
`assert(0)` if it finds `data >= 3`, which happens whenever it locks the mutex after
both of the others.

Scheduling points: main's creates of thread1..thread3 and its joins; each thread's
lock and unlock of the mutex. The accesses to data are under the mutex, so they run in
the lock step, as does thread3's assert.

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


def add_one(mem):
    """data++;"""
    mem["data"] = mem["data"] + 1


def add_two(mem):
    """data+=2;"""
    mem["data"] = mem["data"] + 2


def check_data(mem):
    """if (data >= 3) { assert(0); }"""
    data = mem["data"]
    assert_that(not data >= 3, "0", f"thread3 found data == {data} >= 3")


def critical(section):
    def body():
        yield Lock("mutex", then=Section(section))
        yield Unlock("mutex")

    return body


def lazy01_program():
    children = ("thread1", "thread2", "thread3")

    def main():
        yield from create_all(children)
        yield from join_all(children)

    threads = [("thread1", critical(add_one)), ("thread2", critical(add_two)), ("thread3", critical(check_data))]
    return pthread_program("lazy01-bad", {"data": 0}, ("mutex",), threads, main)


class Lazy01Bad(Classic):
    asserts = True
    name = "lazy01-bad"
    summary = "SCTBench: thread3 asserts that the two other threads have not both run"
    source = "SCTBench benchmarks/concurrent-software-benchmarks/lazy01_bad.c"
    bug = "thread3 asserts data < 3, which fails when it runs after both thread1 (+1) and thread2 (+2)"
    expectation = Expectation(Verdict.VIOLATION, "no-assertion-failure", "thread3 can run last")

    def program(self):
        return lazy01_program()

