"""How many executions brute force runs on each classic, checked against counts made
independently of the engine's searches: a kernel-only enumeration of the execution tree
(below), and reference enumerators written here from the C sources and the papers,
without the effects or the kernel; for indexer and filesystem below their first
collision, the multinomial.

Two counts per program:
- plain DFS: the executions `explore` runs with DFS without state caching until its
  verdict (for a buggy program, up to and including the first counterexample; threads
  are tried in program order, main first). reorder-5-bad is left out: plain DFS runs
  717,316 executions (about 100 s) before its first counterexample.
- the census: every execution of the brute-force tree (an execution ends when no thread
  can move or when an assert fails, as C aborts there), with how many fail an assert,
  how many deadlock, and the longest. stack-bad is left out (the kernel-only count takes
  about a minute); docs/classics.md records its census.

The kernel-only count walks the tree of executions with `Execution` alone, trying the
runnable threads in program order, replaying each prefix from the start, and counts each
state's subtree once (memoised on the world's fingerprint and every thread's own steps
and their outcomes, on which a deterministic thread's local state depends). It shares
no code with `census` (the state graph that DFS with state caching records) or with
`explore`.
"""

from __future__ import annotations

from functools import cache
from math import factorial

import pytest
from toy_world import fold_executions, multinomial
from unpack_race.scenarios.classics import CLASSICS
from unpack_race.scenarios.classics.classic import Census, census
from unpack_race.scheduler.shared_memory import AssertionFailed
from unpack_race.scheduler.explore import explore
from unpack_race.scheduler.kernel import Execution, Status
from unpack_race.scheduler.program import Program
from unpack_race.scheduler.strategies import DepthFirst

BY_NAME = {s.name: s for s in CLASSICS}

# name, params: the programs whose plain DFS is run (all but reorder-5-bad, for time)
PLAIN_DFS = [
    ("reorder-3-bad", ()), ("reorder-4-bad", ()), ("twostage-bad", ()), ("wronglock-3-bad", ()),
    ("account-bad", ()), ("deadlock01-bad", ()), ("lazy01-bad", ()), ("carter01-bad", ()),
    ("token-ring-bad", ()), ("stack-bad", ()), ("circular-buffer-bad", ()),
    ("lastzero", (("n", 3),)), ("indexer", (("n", 2),)), ("filesystem", (("n", 2),)),
]

# name, params: the programs whose census is checked (all but stack-bad, for time)
CENSUS = [
    ("reorder-3-bad", ()), ("reorder-4-bad", ()), ("reorder-5-bad", ()), ("twostage-bad", ()),
    ("wronglock-3-bad", ()), ("account-bad", ()), ("deadlock01-bad", ()), ("lazy01-bad", ()),
    ("carter01-bad", ()), ("token-ring-bad", ()), ("circular-buffer-bad", ()),
    ("lastzero", (("n", 3),)), ("lastzero", (("n", 4),)), ("lastzero", (("n", 5),)),
    ("indexer", (("n", 2),)), ("indexer", (("n", 3),)), ("filesystem", (("n", 2),)), ("filesystem", (("n", 3),)),
]


def program(name, params=()):
    return BY_NAME[name].build("as-written", dict(params)).program


# -- the kernel-only count ----------------------------------------------------------------------


def _assert_failed(execution: Execution) -> bool:
    return any(a.status is Status.FAILED and isinstance(a.error, AssertionFailed) for a in execution.actors)


def _deadlocked(execution: Execution) -> bool:
    return not execution.runnable() and any(a.pending is not None and not a.daemon for a in execution.actors)


def count_tree(program: Program) -> Census:
    """The census of `program`'s brute-force tree, counted with the kernel alone (see the
    module docstring): an execution ends when no thread can move (a deadlock if a
    thread is left blocked) or right after an assert fails."""

    def leaf(execution: Execution) -> tuple[int, int, int, int]:
        failed = _assert_failed(execution)
        return (1, int(failed), int(not failed and _deadlocked(execution)), 0)

    def combine(values) -> tuple[int, int, int, int]:
        below = list(values)
        return (sum(b[0] for b in below), sum(b[1] for b in below), sum(b[2] for b in below),
                1 + max(b[3] for b in below))

    return Census(*fold_executions(program, leaf, combine, ends=_assert_failed))


def count_to_first_failure(program: Program) -> tuple[int, bool]:
    """The executions of the brute-force tree, in program order, up to and including the
    first that fails an assert or deadlocks (all of them if none does), and whether one
    does; counted with the kernel alone, stopping at that first failure."""

    def leaf(execution: Execution) -> tuple[int, bool]:
        return (1, _assert_failed(execution) or _deadlocked(execution))

    def combine(values) -> tuple[int, bool]:
        total = 0
        for executions, failed in values:  # stops at the first subtree with a failure
            total += executions
            if failed:
                return total, True
        return total, False

    return fold_executions(program, leaf, combine, ends=_assert_failed)


@cache
def counted(name, params=()) -> Census:
    return count_tree(program(name, params))


# -- the engine against it ----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "params"), PLAIN_DFS)
def test_plain_dfs_runs_the_executions_up_to_the_first_failing_one_in_program_order(name, params):
    sc = BY_NAME[name]
    built = sc.build("as-written", dict(params))
    result = explore(built.program, DepthFirst(state_caching=False), built.properties, bounds=built.bounds)
    assert result.verdict == sc.expected("as-written", dict(params)).verdict
    executions, failed = count_to_first_failure(built.program)
    assert failed == (sc.bug != "")
    assert result.executions == executions


@pytest.mark.parametrize(("name", "params"), CENSUS)
def test_the_census_equals_the_kernel_only_count_of_every_execution(name, params):
    assert census(program(name, params)) == counted(name, params)


def test_the_kernel_only_count_agrees_with_a_hand_count():
    # lastzero(1): the reader scans array[1], array[0] down to the first zero; writer1
    # reads array[0] and writes array[1] = that + 1. If the reader reads array[1] before
    # the write it reads 0 and stops (before or after the writer's read: 2 executions of
    # 3 steps); after the write it reads 1, then array[0] (1 execution of 4 steps).
    assert counted("lastzero", (("n", 1),)) == Census(3, 0, 0, 4)
    assert count_to_first_failure(program("lastzero", (("n", 1),))) == (3, False)


@pytest.mark.parametrize(
    ("name", "params"),
    [("reorder-3-bad", ()), ("twostage-bad", ()), ("account-bad", ()), ("deadlock01-bad", ()),
     ("lazy01-bad", ()), ("carter01-bad", ()), ("token-ring-bad", ()), ("circular-buffer-bad", ()),
     ("lastzero", (("n", 3),)), ("indexer", (("n", 2),)), ("filesystem", (("n", 2),))],
)
def test_the_memoised_census_equals_running_every_execution(name, params):
    assert census(program(name, params), memo=True) == census(program(name, params), memo=False)


@pytest.mark.parametrize("name", ["indexer", "filesystem"])
@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_below_their_first_collision_indexer_and_filesystem_interleave_freely(name, n):
    # four steps per thread, none of them ever blocked: the multinomial (4n)! / (4!)^n
    assert census(program(name, (("n", n),))).executions == multinomial([4] * n) == factorial(4 * n) // factorial(4) ** n


# -- independent reference enumerators ---------------------------------------------------------


def reference_lastzero(n: int) -> int:
    """lastzero(n) from the paper: thread 0 reads array[n], array[n-1], ... until a zero;
    writer j reads array[j-1], then writes array[j] = that + 1."""

    @cache
    def count(reader: int | None, writers: tuple, cells: tuple) -> int:
        total = 0
        if reader is not None:  # reader about to read cells[reader]
            total += count(reader - 1 if cells[reader] != 0 else None, writers, cells)
        for j in range(1, n + 1):
            state = writers[j - 1]
            if state == "done":
                continue
            if state is None:
                moved = writers[: j - 1] + (("read", cells[j - 1]),) + writers[j:]
                total += count(reader, moved, cells)
            else:
                moved = writers[: j - 1] + ("done",) + writers[j:]
                total += count(reader, moved, cells[:j] + (state[1] + 1,) + cells[j + 1:])
        return total or 1

    return count(n, (None,) * n, (0,) * (n + 1))


class Need(Exception):
    pass


def reorder_check(reads: tuple) -> bool:
    """checkThread's condition, evaluated on the values read so far (in order); raises
    Need while it must read another variable."""
    values = iter(reads)

    def get(name):
        try:
            return next(values)
        except StopIteration:
            raise Need(name) from None

    return (get("a") == 0 and get("b") == 0) or (get("a") == 1 and get("b") == -1)


def reference_reorder(setters: int) -> tuple[int, int]:
    """reorder_N_bad: main creates the setters and the checker, then joins them in the
    same order; a setter writes a = 1 then b = -1; the checker's reads follow C's
    short-circuit evaluation. Returns (executions, executions failing the assert)."""
    children = setters + 1

    def exited(main_pc, pcs, reads, child):
        if child < setters:
            return pcs[child] == 2
        try:
            reorder_check(reads)
            return True
        except Need:
            return False

    @cache
    def count(main_pc, pcs, reads, a, b):
        total = failing = 0
        moves = []
        if main_pc < children:
            moves.append(("main", None))
        elif main_pc < 2 * children and exited(main_pc, pcs, reads, main_pc - children):
            moves.append(("main", None))
        for k in range(setters):
            if main_pc > k and pcs[k] < 2:
                moves.append(("set", k))
        if main_pc > setters:
            try:
                reorder_check(reads)
            except Need as need:
                moves.append(("check", str(need)))
        for kind, what in moves:
            if kind == "main":
                sub = count(main_pc + 1, pcs, reads, a, b)
            elif kind == "set":
                na, nb = (1, b) if pcs[what] == 0 else (a, -1)
                sub = count(main_pc, pcs[:what] + (pcs[what] + 1,) + pcs[what + 1:], reads, na, nb)
            else:
                new_reads = reads + ((a if what == "a" else b),)
                try:
                    if not reorder_check(new_reads):
                        sub = (1, 1)  # the assert fails: the execution ends
                    else:
                        sub = count(main_pc, pcs, new_reads, a, b)
                except Need:
                    sub = count(main_pc, pcs, new_reads, a, b)
            total += sub[0]
            failing += sub[1]
        return (total, failing) if moves else (1, 0)

    return count(0, (0,) * setters, (), 0, 0)


def reference_lazy01() -> tuple[int, int]:
    """lazy01-bad: main creates thread1..3 then joins them; each thread locks the mutex,
    updates or checks data (thread3 fails if data >= 3), and unlocks."""

    @cache
    def count(main_pc, pcs, holder, data):
        total = failing = 0
        moves = []
        if main_pc < 3 or (main_pc < 6 and pcs[main_pc - 3] == 2):
            moves.append("main")
        for t in range(3):
            if main_pc > t and ((pcs[t] == 0 and holder is None) or pcs[t] == 1):
                moves.append(t)
        for move in moves:
            if move == "main":
                sub = count(main_pc + 1, pcs, holder, data)
            elif pcs[move] == 0:
                if move == 2 and data >= 3:
                    sub = (1, 1)
                else:
                    sub = count(main_pc, pcs[:move] + (1,) + pcs[move + 1:], move, data + (1, 2, 0)[move])
            else:
                sub = count(main_pc, pcs[:move] + (2,) + pcs[move + 1:], None, data)
            total += sub[0]
            failing += sub[1]
        return (total, failing) if moves else (1, 0)

    return count(0, (0, 0, 0), None, 0)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_lastzero_counts_agree_with_a_reference_enumerator_of_the_paper_s_program(n):
    assert census(program("lastzero", (("n", n),))).executions == reference_lastzero(n)


@pytest.mark.parametrize("name", ["reorder-3-bad", "reorder-4-bad", "reorder-5-bad"])
def test_reorder_counts_agree_with_a_reference_enumerator_of_the_c_program(name):
    setters = int(name.split("-")[1]) - 1
    found = census(program(name))
    assert (found.executions, found.assertion_failures) == reference_reorder(setters)


def test_lazy01_counts_agree_with_a_reference_enumerator_of_the_c_program():
    found = census(program("lazy01-bad"))
    assert (found.executions, found.assertion_failures) == reference_lazy01()
