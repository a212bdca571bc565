"""filesystem(N): threads allocate a disk block to an inode under fine-grained locks.

Source: Flanagan and Godefroid, "Dynamic partial-order reduction for model checking
software", POPL 2005, Section 5 (the file-system example; SCTBench's fsbench_ok.c is
derived from it):

    const int NUMBLOCKS = 26, NUMINODE = 32;
    lock_t locki[NUMINODE]; int inode[NUMINODE];
    lock_t lockb[NUMBLOCKS]; bool busy[NUMBLOCKS];
    thread_routine(int tid) {
      int i = tid % NUMINODE;
      acquire(locki[i]);
      if (inode[i] == 0) {
        int b = (i * 2) % NUMBLOCKS;
        while (true) {
          acquire(lockb[b]);
          if (!busy[b]) { busy[b] = true; inode[i] = b + 1; release(lockb[b]); break; }
          release(lockb[b]);
          b = (b + 1) % NUMBLOCKS;
        }
      }
      release(locki[i]);
    }

Threads tid and tid + 13 start their search at the same block, so the threads interact
only from N = 14 on; below that, each thread's locks are its own.

Scheduling points: every acquire and release. inode[i] is only touched holding
locki[i] and busy[b] holding lockb[b], so those accesses run in the acquire step (the
read of inode[i] in the acquire of locki[i]; the test of busy[b] and, if free, the
writes of busy[b] and inode[i] in the acquire of lockb[b]). As in the paper there is
no main: the threads `thread0` .. `thread{N-1}` run from the start.

Property (at end, the program's intent; the source has no assert): every thread's
inode got a block, and no block went to two inodes.

Expected verdict: pass.
"""

from __future__ import annotations

from unpack_race.scenarios.base import Expectation, Param
from unpack_race.scenarios.classics.classic import Classic
from unpack_race.scheduler.shared_memory import (
    Lock,
    Section,
    Unlock,
    array,
    cell,
    pthread_program,
)
from unpack_race.scheduler.properties import at_end
from unpack_race.scheduler.verdict import Verdict

NUMBLOCKS = 26
NUMINODE = 32


def read_inode(mem, i):
    """if (inode[i] == 0)"""
    return mem[cell("inode", i)]


def claim_block(mem, i, b):
    """if (!busy[b]) { busy[b] = true; inode[i] = b+1; }

    Returns whether it took the block."""
    if mem[cell("busy", b)]:
        return False
    mem[cell("busy", b)] = 1
    mem[cell("inode", i)] = b + 1
    return True


def thread_routine(tid: int):
    def body():
        i = tid % NUMINODE
        locki = cell("locki", i)
        if (yield Lock(locki, then=Section(read_inode, (i,)))) == 0:
            b = (i * 2) % NUMBLOCKS
            while True:
                lockb = cell("lockb", b)
                if (yield Lock(lockb, then=Section(claim_block, (i, b)))):
                    yield Unlock(lockb)
                    break
                yield Unlock(lockb)
                b = (b + 1) % NUMBLOCKS
        yield Unlock(locki)

    return body


def filesystem_program(n: int):
    shared = {**array("inode", NUMINODE), **array("busy", NUMBLOCKS)}
    mutexes = [cell("locki", i) for i in range(NUMINODE)] + [cell("lockb", b) for b in range(NUMBLOCKS)]
    threads = [(f"thread{tid}", thread_routine(tid)) for tid in range(n)]
    return pthread_program(f"filesystem({n})", shared, mutexes, threads)


def blocks_allocated_once(n: int):
    inodes = sorted({tid % NUMINODE for tid in range(n)})

    def holds(o):
        blocks = [o.world.vars[cell("inode", i)] for i in inodes]
        return (
            all(blocks)
            and len(set(blocks)) == len(blocks)
            and all(o.world.vars[cell("busy", b - 1)] == 1 for b in blocks)
        )

    return at_end(
        "each-inode-has-its-own-block",
        holds,
        "every thread's inode got a block marked busy, and no block went to two inodes",
        explain=lambda o: ", ".join(f"inode[{i}] = {o.world.vars[cell('inode', i)]}" for i in inodes),
    )


class Filesystem(Classic):
    name = "filesystem"
    summary = "Flanagan and Godefroid, POPL 2005: N threads allocate disk blocks to inodes under fine-grained locks"
    source = "Flanagan and Godefroid, Dynamic partial-order reduction for model checking software, POPL 2005"
    bug = ""
    params = (Param("n", 2, "threads (they interact only from n = 14)", minimum=1, maximum=NUMBLOCKS),)
    expectation = Expectation(Verdict.PASS, None, "per-inode and per-block locks keep every allocation exclusive")

    def program(self, n):
        return filesystem_program(n)

    def properties(self, n):
        return (blocks_allocated_once(n),)
