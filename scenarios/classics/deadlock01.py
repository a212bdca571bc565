"""deadlock01-bad: two threads take two mutexes in opposite orders.

Source: SCTBench, benchmarks/concurrent-software-benchmarks/deadlock01_bad.c (from the
ESBMC benchmarks).

The bug: thread1 locks a then b, thread2 locks b then a. If each takes its first mutex
before the other takes its second, both wait forever (and main waits in pthread_join).

Scheduling points: main's create of thread1, thread2 and its joins; each thread's two
locks and two unlocks. `counter++` / `counter--` happen holding both mutexes, so they
run in the step of the second lock.

Expected verdict: violation of no-deadlock.
"""

from __future__ import annotations

from unpack_race.scenarios.base import Expectation
from unpack_race.scenarios.classics.classic import Classic
from unpack_race.scheduler.shared_memory import (
    Lock,
    Section,
    Unlock,
    create_all,
    join_all,
    pthread_program,
)
from unpack_race.scheduler.verdict import Verdict


def increment(mem):
    """counter++;"""
    mem["counter"] = mem["counter"] + 1


def decrement(mem):
    """counter--;"""
    mem["counter"] = mem["counter"] - 1


def thread1():
    yield Lock("a")
    yield Lock("b", then=Section(increment))
    yield Unlock("b")
    yield Unlock("a")


def thread2():
    yield Lock("b")
    yield Lock("a", then=Section(decrement))
    yield Unlock("a")
    yield Unlock("b")


def deadlock01_program():
    children = ("thread1", "thread2")

    def main():
        yield from create_all(children)
        yield from join_all(children)

    return pthread_program(
        "deadlock01-bad", {"counter": 1}, ("a", "b"), [("thread1", thread1), ("thread2", thread2)], main
    )


class Deadlock01Bad(Classic):
    name = "deadlock01-bad"
    summary = "SCTBench: two threads take two mutexes in opposite orders"
    source = "SCTBench benchmarks/concurrent-software-benchmarks/deadlock01_bad.c"
    bug = "thread1 locks a then b, thread2 locks b then a: each can hold one and wait for the other"
    expectation = Expectation(Verdict.VIOLATION, "no-deadlock", "lock-order inversion")

    def program(self):
        return deadlock01_program()
