"""token-ring-bad: a ring of copies whose result depends on their order.

Source: SCTBench, benchmarks/concurrent-software-benchmarks/token_ring_bad.c (from the
ESBMC benchmarks; `__ESBMC_atomic_begin/end` are defined in common.inc as locking and
unlocking one global mutex, esbmc_mutex).

The bug: t1 sets x1 = (x3 + 1) % 4, t2 sets x2 = x1, t3 sets x3 = x2, each atomically
and raising its flag; t4 asserts x1 == x2 == x3 once all three flags are up. That
holds only if they ran in the order t1, t2, t3.

Scheduling points: main's four pthread_creates (it never joins: see docs/classics.md);
each thread's lock and unlock of esbmc_mutex. Everything else happens inside the atomic
blocks and runs in the lock step, as does t4's assert.

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
    pthread_program,
)
from unpack_race.scheduler.verdict import Verdict

ATOMIC = "esbmc_mutex"


def t1_cs(mem):
    """x1 = (x3+1)%4; flag1=1;"""
    mem["x1"] = (mem["x3"] + 1) % 4
    mem["flag1"] = 1


def t2_cs(mem):
    """x2 = x1; flag2=1;"""
    mem["x2"] = mem["x1"]
    mem["flag2"] = 1


def t3_cs(mem):
    """x3 = x2; flag3=1;"""
    mem["x3"] = mem["x2"]
    mem["flag3"] = 1


def t4_cs(mem):
    """if (flag1 && flag2 && flag3) assert(x1 == x2 && x2 == x3);"""
    if mem["flag1"] and mem["flag2"] and mem["flag3"]:
        x1, x2 = mem["x1"], mem["x2"]
        if x1 != x2:
            assert_that(False, "x1 == x2 && x2 == x3", f"x1 == {x1} but x2 == {x2}")
        x3 = mem["x3"]
        assert_that(x2 == x3, "x1 == x2 && x2 == x3", f"x1 == x2 == {x2} but x3 == {x3}")


def atomic(section):
    def body():
        yield Lock(ATOMIC, then=Section(section))  # __ESBMC_atomic_begin();
        yield Unlock(ATOMIC)  # __ESBMC_atomic_end();

    return body


def token_ring_program():
    children = ("t1", "t2", "t3", "t4")

    def main():
        yield from create_all(children)

    threads = [("t1", atomic(t1_cs)), ("t2", atomic(t2_cs)), ("t3", atomic(t3_cs)), ("t4", atomic(t4_cs))]
    shared = {"x1": 1, "x2": 2, "x3": 1, "flag1": 0, "flag2": 0, "flag3": 0}
    return pthread_program("token-ring-bad", shared, (ATOMIC,), threads, main)


class TokenRingBad(Classic):
    asserts = True
    name = "token-ring-bad"
    summary = "SCTBench: three copies around a ring agree only in one order"
    source = "SCTBench benchmarks/concurrent-software-benchmarks/token_ring_bad.c"
    bug = "x1, x2, x3 end equal only if t1, t2, t3 run in that order; t4 asserts they are equal"
    expectation = Expectation(Verdict.VIOLATION, "no-assertion-failure", "t1..t3 may run in any order")

    def program(self):
        return token_ring_program()

