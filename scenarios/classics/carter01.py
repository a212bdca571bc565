"""carter01-bad: a class lock taken by the first member in, under another mutex.

Source: SCTBench, benchmarks/concurrent-software-benchmarks/carter01_bad.c (from the
ESBMC benchmarks).

The bug: t1 (class A) and t2 (class B) each count their members in A or B under m; the
first member in locks l (`if (A == 1) pthread_mutex_lock(&l)`) *while still holding m*,
and the last one out unlocks it. If t1 holds l and t2 then locks m and blocks on l
while holding m, t1 can never lock m again to leave: a deadlock. t3 and t4 do nothing.

Scheduling points: main's creates of t1..t4 (the source's a1, b1, a2, b2) and its
joins; t1's and t2's locks and unlocks of m and the conditional lock/unlock of l. The
counters are accessed under m, so `A++`/`A--` run in the step locking m (which
returns the new value). t3 and t4 have no scheduling point at all: they exit as soon
as they are created.

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


def enter(mem, counter):
    """counter++;

    Returns the new count."""
    mem[counter] = mem[counter] + 1
    return mem[counter]


def leave(mem, counter):
    """counter--;

    Returns the new count."""
    mem[counter] = mem[counter] - 1
    return mem[counter]


def member(counter: str):
    def body():
        if (yield Lock("m", then=Section(enter, (counter,)))) == 1:
            yield Lock("l")
        yield Unlock("m")
        # perform class operation
        if (yield Lock("m", then=Section(leave, (counter,)))) == 0:
            yield Unlock("l")
        yield Unlock("m")

    return body


def nothing():
    return
    yield  # a generator that takes no step


def carter01_program():
    children = ("t1", "t2", "t3", "t4")

    def main():
        yield from create_all(children)
        yield from join_all(children)

    threads = [("t1", member("A")), ("t2", member("B")), ("t3", nothing), ("t4", nothing)]
    return pthread_program("carter01-bad", {"A": 0, "B": 0}, ("m", "l"), threads, main)


class Carter01Bad(Classic):
    name = "carter01-bad"
    summary = "SCTBench: the first member of a class takes a lock while holding another"
    source = "SCTBench benchmarks/concurrent-software-benchmarks/carter01_bad.c"
    bug = ("t2 can block on l while holding m, and t1, which holds l, then needs m to release it: "
           "a deadlock")
    expectation = Expectation(Verdict.VIOLATION, "no-deadlock", "lock l is requested while m is held")

    def program(self):
        return carter01_program()
