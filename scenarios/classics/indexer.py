"""indexer(N): threads insert into a shared hash table with compare-and-swap.

Source: Flanagan and Godefroid, "Dynamic partial-order reduction for model checking
software", POPL 2005, Section 5 (the `indexer` example; also SCTBench's indexer_ok.c):

    const int size = 128, max = 4;  int table[size];
    thread_routine(int tid) {
      int m = 0, w, h;
      while (true) {
        if (m < max) w = (++m) * 11 + tid; else return;
        h = (w * 7) % size;
        while (cas(&table[h], 0, w) == false) h = (h + 1) % size;
      }
    }

Each of N threads (tid 0..N-1) inserts 4 values with linear probing. Two inserts
collide only when two threads hash to the same cell, which needs N >= 12 (tid 0 and
tid 11 both produce w = 22, 33, 44); below that every step is independent of every
other thread's, which is what makes it a partial-order-reduction benchmark.

Scheduling points: each `cas` is one atomic step on table[h] (as in the paper; a cas
that fails only reads the cell). As in the paper there is no main: the threads
`thread0` .. `thread{N-1}` run from the start, with no create or join steps.

Property (at end, the program's intent; the source has no assert): the table holds
every inserted value exactly once.

Expected verdict: pass.
"""

from __future__ import annotations

from collections import Counter

from unpack_race.scenarios.base import Expectation, Param
from unpack_race.scenarios.classics.classic import Classic
from unpack_race.scheduler.shared_memory import Cas, array, cell, pthread_program
from unpack_race.scheduler.properties import at_end
from unpack_race.scheduler.verdict import Verdict

SIZE = 128
MAX = 4


def thread_routine(tid: int):
    def body():
        m = 0
        while True:
            if m < MAX:
                m += 1
                w = m * 11 + tid
            else:
                return
            h = (w * 7) % SIZE
            while not (yield Cas(cell("table", h), 0, w)):
                h = (h + 1) % SIZE

    return body


def indexer_program(n: int):
    threads = [(f"thread{tid}", thread_routine(tid)) for tid in range(n)]
    return pthread_program(f"indexer({n})", array("table", SIZE), (), threads)


def inserted(n: int) -> Counter:
    return Counter(m * 11 + tid for tid in range(n) for m in range(1, MAX + 1))


def every_value_once(n: int):
    wanted = inserted(n)

    def stored(o):
        return Counter(v for v in o.world.vars.values() if v != 0)

    return at_end(
        "every-value-stored-once",
        lambda o: stored(o) == wanted,
        "the table holds each thread's four values, each exactly once",
        explain=lambda o: f"table holds {sorted(stored(o).elements())}",
    )


class Indexer(Classic):
    name = "indexer"
    summary = "Flanagan and Godefroid, POPL 2005: N threads insert into a hash table by compare-and-swap"
    source = "Flanagan and Godefroid, Dynamic partial-order reduction for model checking software, POPL 2005"
    bug = ""
    params = (Param("n", 2, "threads (inserts collide only from n = 12)", minimum=1, maximum=32),)
    expectation = Expectation(Verdict.PASS, None, "compare-and-swap with linear probing loses no insert")

    def program(self, n):
        return indexer_program(n)

    def properties(self, n):
        return (every_value_once(n),)
