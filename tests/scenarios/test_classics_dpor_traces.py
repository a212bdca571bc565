"""DPOR explores every Mazurkiewicz trace of the small classics, at SCTBench's semantics
(a failed assert aborts the program: Program.aborts_on), checked against brute force.

The step of a failing assert disables every other step; a reduction that missed that
dependence would lose the executions in which other threads move before the abort.
Brute force here is `count_traces` (plain DFS without reduction, every interleaving run);
the programs are the classics with asserts whose brute-force tree is small (at most
3,000 executions), and deadlock01-bad for a deadlock.
"""

from __future__ import annotations

import pytest
from unpack_race.scenarios.classics import CLASSICS
from unpack_race.scheduler.explore import explore
from unpack_race.scheduler.strategies.dpor import Dpor
from unpack_race.scheduler.strategies.optimal_dpor import make_dpor
from unpack_race.scheduler.traces import count_traces, trace_key

BY_NAME = {s.name: s for s in CLASSICS}
SMALL = ["reorder-3-bad", "twostage-bad", "account-bad", "deadlock01-bad", "lazy01-bad", "token-ring-bad"]
VARIANTS = ("source", "fg05", "optimal")


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("name", SMALL)
def test_dpor_explores_every_trace_brute_force_finds_with_asserts_that_abort(name, variant):
    program = BY_NAME[name].build("as-written", {}).program
    brute = count_traces(program)
    assert brute.exhausted
    if name != "deadlock01-bad":  # no nested locks: nothing can deadlock, and an abort is no deadlock
        assert brute.deadlocks == 0
    runs = []
    explore(program.all_daemons(), make_dpor(variant), on_run=runs.append)
    keys = {trace_key(r.steps) for r in runs if r.finished}
    assert keys == brute.keys, f"{len(brute.keys - keys)} of {len(brute.keys)} traces never explored"


def test_some_small_classic_ends_executions_at_an_abort_with_threads_left_to_move():
    # guards the test above against programs where the abort never cuts anything short
    program = BY_NAME["reorder-3-bad"].build("as-written", {}).program
    runs = []
    explore(program.all_daemons(), Dpor(), on_run=runs.append)
    assert any(r.aborted and any(e.pending is not None for e in r.ends) for r in runs)
