"""reorder-3-bad, reorder-4-bad, reorder-5-bad: a reader sees two writes half done.

Source: SCTBench, benchmarks/concurrent-software-benchmarks/reorder_{3,4,5}_bad.c (the
same reorder_bad.c, preprocessed with iSet = 2, 3, 4 setter threads and iCheck = 1
checker; the N in the name counts the worker threads). Originally from the ESBMC
benchmarks.

The bug: each setThread writes `a = 1` then `b = -1` with no synchronisation; the
checkThread asserts that it sees either neither write or both,
`(a == 0 && b == 0) || (a == 1 && b == -1)`. A read of `a` between a setter's two
writes sees a = 1, b = 0 and the assert fails.

Scheduling points: main's pthread_create of every setter then the checker and its
pthread_join of all of them (in that order); each setter's two racy writes; the
checker's racy reads in C's short-circuit order: `a`, then `b` only if a == 0, then `a`
again and `b` again only if the first conjunct was false (2 to 4 reads). The assert is
evaluated by the checker's last read.

Expected verdict: violation of no-assertion-failure.
"""

from __future__ import annotations

from unpack_race.scenarios.base import Expectation
from unpack_race.scenarios.classics.classic import Classic
from unpack_race.scheduler.shared_memory import (
    Read,
    Write,
    assert_that,
    create_all,
    join_all,
    pthread_program,
)
from unpack_race.scheduler.verdict import Verdict


def set_thread():
    """setThread: `a = 1; b = -1;`"""
    yield Write("a", 1)
    yield Write("b", -1)


def check_thread():
    """checkThread: `if (!((a == 0 && b == 0) || (a == 1 && b == -1))) assert(0);`"""
    seen = []
    a = yield Read("a")
    seen.append(f"a == {a}")
    ok = False
    if a == 0:
        b = yield Read("b")
        seen.append(f"b == {b}")
        ok = b == 0
    if not ok:
        a = yield Read("a")
        seen.append(f"a == {a}")
        if a == 1:
            b = yield Read("b")
            seen.append(f"b == {b}")
            ok = b == -1
    assert_that(ok, "0", f"checkThread read {', '.join(seen)}: one write of a setThread is seen without the other")


def reorder_program(i_set: int, i_check: int = 1):
    setters = [f"setThread{i}" for i in range(i_set)]
    checkers = [f"checkThread{i}" for i in range(i_check)]

    def main():
        yield from create_all(setters)
        yield from create_all(checkers)
        yield from join_all(setters)
        yield from join_all(checkers)

    threads = [(t, set_thread) for t in setters] + [(t, check_thread) for t in checkers]
    return pthread_program(f"reorder_{i_set + i_check}_bad", {"a": 0, "b": 0}, (), threads, main)


class ReorderBad(Classic):
    asserts = True
    bug = ("each setThread writes a = 1 then b = -1 unsynchronised; the checkThread can read "
           "a between the two writes and sees one without the other")
    expectation = Expectation(Verdict.VIOLATION, "no-assertion-failure",
                              "the checker can read a = 1 (or b = -1) before the other write")

    def __init__(self, threads: int) -> None:
        self.threads = threads  # the N of reorder_N_bad: N - 1 setters and 1 checker
        self.name = f"reorder-{threads}-bad"
        self.summary = f"SCTBench: {threads - 1} threads write a then b unsynchronised; a checker sees one write without the other"
        self.source = f"SCTBench benchmarks/concurrent-software-benchmarks/reorder_{threads}_bad.c"

    def program(self):
        return reorder_program(self.threads - 1, 1)

