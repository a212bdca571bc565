"""Optimal DPOR (strategies/optimal_dpor.py, wakeup trees): on programs whose steps never
block one another it runs exactly one complete execution per Mazurkiewicz trace and
none cut by its sleep sets, which is what "optimal" means (Abdulla et al., POPL 2014,
Theorem 7.5); and it reaches the published counts. That it explores every trace at all,
on random programs with locks and on the classics, is checked beside the other
reductions, against brute force (test_dpor_soundness.py, test_crashes.py,
test_property_scopes.py, tests/scenarios/test_classics_dpor_traces.py).

The trace counts here come from `count_traces` (plain DFS, every interleaving run) or
from the paper; the wakeup trees themselves are checked against hand-worked cases.
"""

from __future__ import annotations

import pytest
from unpack_race.scenarios.classics import CLASSICS
from unpack_race.scheduler.coverage import SLEEP_SET_BLOCKED
from unpack_race.scheduler.effect import Footprint
from unpack_race.scheduler.explore import explore
from unpack_race.scheduler.strategies import Dpor, OptimalDpor
from unpack_race.scheduler.strategies.registry import REGISTRY
from unpack_race.scheduler.traces import count_traces, trace_key
from unpack_race.scheduler.wakeup_tree import WakeupNode, insert, weak_initial

BY_NAME = {s.name: s for s in CLASSICS}


def program(name, **params):
    return BY_NAME[name].build(BY_NAME[name].variants[0], params).program


def fp(reads=(), writes=()) -> Footprint:
    return Footprint(frozenset(reads), frozenset(writes))


# -- the wakeup tree, by hand --------------------------------------------------------


def test_a_weak_initial_starts_the_sequence_or_commutes_with_all_of_it():
    w = [("a", fp(writes={"x"})), ("b", fp(reads={"x"})), ("c", fp(writes={"y"}))]
    assert weak_initial("a", fp(writes={"x"}), w)  # its first step comes first
    assert not weak_initial("b", fp(reads={"x"}), w)  # a's write of x comes before b's read
    assert weak_initial("c", fp(writes={"y"}), w)  # nothing before it touches y
    assert weak_initial("d", fp(writes={"z"}), w)  # not in w, independent of all of it
    assert not weak_initial("d", fp(reads={"x"}), w)  # not in w, but reads what a writes


def test_insert_adds_a_sequence_once_and_not_one_a_branch_already_covers():
    x = fp(writes={"x"})
    tree: list[WakeupNode] = []
    assert insert(tree, [("a", x), ("b", x)])
    assert [c.actor for c in tree] == ["a"] and [c.actor for c in tree[0].children] == ["b"]
    assert not insert(tree, [("a", x), ("b", x)])  # the same sequence: covered
    assert not insert(tree, [("a", x)])  # a prefix of a branch: covered
    assert insert(tree, [("b", x), ("a", x)])  # b first conflicts with a first: a new branch
    assert [c.actor for c in tree] == ["a", "b"]
    # c commutes with b, and b's branch continues with a, which commutes with c: b.a
    # then c is a way of running c.b, so the branch b.a covers it
    assert not insert(tree, [("c", fp(writes={"z"})), ("b", x)])
    assert not insert(tree, [("d", fp(writes={"q"}))])  # independent of the first branch's every step


# -- optimality: one execution per trace, nothing sleep-set blocked ------------------


@pytest.mark.parametrize("n", [1, 2, 3])  # brute force at n = 4 takes minutes
def test_on_lastzero_it_runs_one_execution_per_trace_and_none_blocked(n):
    p = program("lastzero", n=n)
    brute = count_traces(p)
    assert brute.exhausted
    runs = []
    result = explore(p.all_daemons(), OptimalDpor(), on_run=runs.append)
    complete = [r for r in runs if r.finished]
    assert result.coverage.cut_by(SLEEP_SET_BLOCKED) == 0
    assert len(complete) == len(brute.keys)  # exactly one execution per trace ...
    assert {trace_key(r.steps) for r in complete} == brute.keys  # ... and every trace


def test_it_reaches_lastzero_10_s_published_count_with_none_blocked():
    # Abdulla, Aronis, Jonsson, Sagonas, POPL 2014, Table 1: lastzero(10), 3,328 traces
    # (source-DPOR here runs them with 16,867 sleep-set-blocked executions besides)
    result = explore(program("lastzero", n=10), OptimalDpor())
    assert result.executions == 3328
    assert result.coverage.cut_by(SLEEP_SET_BLOCKED) == 0


def test_on_filesystem_it_reaches_the_published_count():
    # Abdulla et al. 2014, Table 1: filesystem(18), 32 traces. By hand: threads tid and
    # tid + 13 start their search at the same block (scenarios/classics/filesystem.py),
    # so each of the N - 13 colliding pairs runs in either order: 2^(N-13) traces
    # (the paper's optimal DPOR runs them with no sleep-set-blocked execution, and so does
    # this one, its locks raced lock to lock: test_lock_races.py)
    strategy = OptimalDpor()
    result = explore(program("filesystem", n=18), strategy)
    assert result.executions == 2 ** (18 - 13)
    assert result.coverage.cut_by(SLEEP_SET_BLOCKED) == 0 and strategy.fallbacks == 0


def test_on_indexer_it_reaches_the_published_count_with_none_blocked():
    # Abdulla et al. 2014, Table 1 (after Flanagan and Godefroid 2005): indexer(13), 64 traces
    result = explore(program("indexer", n=13), OptimalDpor())
    assert result.executions == 64 and result.coverage.cut_by(SLEEP_SET_BLOCKED) == 0


def test_on_filesystem_it_blocks_fewer_runs_than_source_sets():
    # source sets may start a reversal from an initial that finds every continuation
    # asleep; a wakeup sequence never does
    optimal = explore(program("filesystem", n=15), OptimalDpor())
    source = explore(program("filesystem", n=15), Dpor())
    for result in (optimal, source):
        assert result.executions - result.coverage.cut_by(SLEEP_SET_BLOCKED) == 2 ** (15 - 13)
    assert optimal.coverage.cut_by(SLEEP_SET_BLOCKED) <= source.coverage.cut_by(SLEEP_SET_BLOCKED)


def test_the_registry_names_it_and_the_result_says_which_dpor_ran():
    strategy = REGISTRY["dpor"].create(reduction="optimal")
    assert isinstance(strategy, OptimalDpor)
    result = explore(program("lastzero", n=2), strategy)
    assert "optimal DPOR" in result.coverage.facts.algorithm
    assert "wakeup trees" in result.coverage.facts.citation
    with pytest.raises(Exception, match="unknown reduction|one of"):
        REGISTRY["dpor"].create(reduction="best")
