"""lastzero(N): a reader looks for the last zero while writers fill the array in.

Source: Abdulla, Aronis, Jonsson, Sagonas, "Optimal dynamic partial order reduction",
POPL 2014, Section 9 (the `lastzero` benchmark):

    int array[N+1];                        /* all zero */
    thread 0:      for (i = N; array[i] != 0; i--);
    thread j (1 <= j <= N):  array[j] = array[j-1] + 1;

The program has no bug and no assert: it is a benchmark of how many interleavings a
search explores. Thread 0's reads race with the writes, and each writer's read of
array[j-1] races with writer j-1's write, so most interleavings are not equivalent.

Scheduling points: every access to `array` is racy and is its own step: the reader's
reads of array[N], array[N-1], ... down to the first zero it finds (array[0] is never
written, so it stops there at the latest); each writer's read of array[j-1] and write of
array[j]. As in the paper, there is no main: the N+1 threads (`reader`, `writer1` ..
`writerN`) run from the start, with no create or join steps.

Property (sometimes): the reader reads a non-zero element at least once, i.e. the
search does make it skip a written element (it cannot be vacuous).

Expected verdict: pass.
"""

from __future__ import annotations

from unpack_race.scenarios.base import Expectation, Param
from unpack_race.scenarios.classics.classic import Classic
from unpack_race.scheduler.shared_memory import (
    Read,
    Write,
    array,
    cell,
    pthread_program,
)
from unpack_race.scheduler.properties import on_step, sometimes
from unpack_race.scheduler.verdict import Verdict

READER = "reader"


def reader(n: int):
    def body():
        i = n
        while (yield Read(cell("array", i))) != 0:
            i -= 1

    return body


def writer(j: int):
    def body():
        value = yield Read(cell("array", j - 1))
        yield Write(cell("array", j), value + 1)

    return body


def lastzero_program(n: int):
    threads = [(READER, reader(n))] + [(f"writer{j}", writer(j)) for j in range(1, n + 1)]
    return pthread_program(f"lastzero({n})", array("array", n + 1), (), threads)


READER_SKIPS = sometimes(
    "reader-skips-a-written-element",
    on_step(lambda step: step.actor == READER and step.result != 0),
    "the reader reads a non-zero element, written by a writer",
)


class Lastzero(Classic):
    name = "lastzero"
    summary = "Abdulla et al., POPL 2014: a reader scans an array for its last zero while N writers fill it in"
    source = "Abdulla, Aronis, Jonsson, Sagonas, Optimal dynamic partial order reduction, POPL 2014"
    bug = ""
    params = (Param("n", 3, "writer threads (the array has n+1 elements)", minimum=1, maximum=20),)
    expectation = Expectation(Verdict.PASS, None, "a benchmark without an assert; the reader always stops at a zero")

    def program(self, n):
        return lastzero_program(n)

    def properties(self, n):
        return (READER_SKIPS,)
