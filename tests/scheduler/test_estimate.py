"""The cost estimate of an exhaustive search (scheduler/estimate.py), against counts made
independently: brute force over the kernel (toy_world), brute-force trace counts
(scheduler/traces.py), the published counts of the classics, and a state graph's own
states and transitions."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest
from toy_world import (count_executions, distinct_transitions, independent_program, locked_counter,
                       opposite_locks, racy_counter)
from unpack_race.scenarios import cli
from unpack_race.scenarios.registry import scenario_of
from unpack_race.scheduler.estimate import RACES_METHOD, SLEEP_SETS, STATE_GRAPH, TREE, chao1, estimate
from unpack_race.scheduler.explore import explore
from unpack_race.scheduler.state_graph import state_graph
from unpack_race.scheduler.strategies.bfs import BreadthFirst
from unpack_race.scheduler.strategies.dfs import DepthFirst
from unpack_race.scheduler.strategies.registry import OptionError, search
from unpack_race.scheduler.traces import count_traces


def classic(name: str, n: int):
    sc = scenario_of(name)
    return sc.build(sc.choose_variant(None), sc.resolve({"n": n}))


def within_statistical_bound(samples: list[float], truth: float, sigmas: float = 4.0) -> bool:
    """The mean of independent estimates is within `sigmas` standard errors of `truth`."""
    n = len(samples)
    mean = math.fsum(samples) / n
    sd = math.sqrt(math.fsum((s - mean) ** 2 for s in samples) / (n - 1))
    return abs(mean - truth) <= sigmas * sd / math.sqrt(n) + 1e-9


@pytest.mark.parametrize("make", [lambda: racy_counter(2, 2), lambda: racy_counter(3), lambda: locked_counter(2, 2),
                                  lambda: independent_program((2, 1, 2)), lambda: classic("lastzero", 2).program])
def test_knuths_estimate_over_the_interleaving_tree_is_unbiased(make):
    program = make()
    truth = count_executions(program)
    samples = [estimate(program, TREE, 30, seed).executions for seed in range(40)]
    assert within_statistical_bound(samples, truth), (truth, sum(samples) / len(samples))


def test_a_program_with_one_path_is_estimated_exactly():
    program = independent_program((4,))  # one actor: one interleaving of 4 steps
    for rule in (TREE, SLEEP_SETS):
        e = estimate(program, rule, 20, 3)
        assert (e.executions, e.steps, e.spread) == (1.0, 4.0, 0.0)
    e = estimate(program, STATE_GRAPH, 20, 3)
    assert (e.executions, e.states, e.transitions) == (1.0, 5.0, 4.0)


@pytest.mark.parametrize("n", [2, 3])
def test_the_sleep_set_tree_estimate_is_unbiased_for_the_number_of_mazurkiewicz_traces(n):
    program = classic("lastzero", n).program
    truth = count_traces(program).traces  # brute force: every interleaving, its trace key
    estimates = [estimate(program, SLEEP_SETS, 40, seed) for seed in range(40)]
    assert all(e.method != RACES_METHOD for e in estimates)  # the sleep-set tree's own estimate
    assert within_statistical_bound([e.executions for e in estimates], truth)


@pytest.mark.parametrize("name, n, published", [("filesystem", 18, 32), ("indexer", 12, 8), ("indexer", 13, 64)])
def test_dpor_is_estimated_from_races_where_the_sleep_set_tree_is_too_thin(name, n, published):
    """Flanagan and Godefroid's counts (POPL 2005, Table 1): no sleep-set probe reaches a
    final state there, and the race count is exact."""
    e = estimate(classic(name, n).program, SLEEP_SETS, 200, 0)
    assert e.method == RACES_METHOD and e.executions == published
    assert e.probes < 200  # GenMC's early stop: no spread after 10 probes


@pytest.mark.parametrize("make", [lambda: racy_counter(2, 2), lambda: locked_counter(3), lambda: classic("lastzero", 3).program,
                                  lambda: classic("filesystem", 2).program,
                                  lambda: opposite_locks().all_daemons()])
def test_stateful_dfs_runs_transitions_minus_states_plus_one_plus_final_states(make):
    """The identity the STATE_GRAPH estimate rests on, on real runs: stateful DFS runs
    T - S + 1 + F executions and BFS T + F, with S, T and F from the state graph (and S, T
    also by a breadth-first walk with the kernel alone)."""
    program = make()
    graph = state_graph(program)
    states, transitions, finals = graph.states, graph.transitions, len(graph.finals)
    assert (states, transitions) == distinct_transitions(program)
    assert explore(program, DepthFirst()).executions == transitions - states + 1 + finals
    assert explore(program, BreadthFirst()).executions == transitions + finals


def test_chao1_counts_by_hand():
    # 3 classes seen once, 1 twice, 1 four times: n = 9, S_obs = 5, 5 + 8/9 * 3 * 2 / (2 * 2)
    assert chao1([1, 1, 1, 2, 4]) == pytest.approx(5 + 8 / 9 * 6 / 4)
    assert chao1([3, 3]) == 2 and chao1([]) == 0


def test_the_state_graph_estimate_is_exact_where_the_probes_meet_every_state_twice():
    program = racy_counter(2)
    graph = state_graph(program)
    e = estimate(program, STATE_GRAPH, 500, 1)
    assert (e.states, e.transitions) == (graph.states, graph.transitions)
    assert e.executions == explore(program, DepthFirst()).executions


def test_the_estimate_is_the_same_for_a_seed_in_any_process():
    code = ("from unpack_race.scenarios.registry import scenario_of\n"
            "from unpack_race.scheduler.estimate import estimate, SLEEP_SETS, STATE_GRAPH, TREE\n"
            "sc = scenario_of('lastzero'); p = sc.build(sc.choose_variant(None), sc.resolve({'n': 3})).program\n"
            "print([(estimate(p, r, 60, 7).executions, estimate(p, r, 60, 7).steps, estimate(p, r, 60, 7).states)"
            " for r in (TREE, SLEEP_SETS, STATE_GRAPH)])\n")
    outputs = set()
    for salt in ("0", "1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=salt)
        outputs.add(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                   check=True).stdout)
    assert len(outputs) == 1
    p = classic("lastzero", 3).program
    assert estimate(p, TREE, 60, 7).executions == estimate(p, TREE, 60, 7).executions
    assert estimate(p, TREE, 60, 7).executions != estimate(p, TREE, 60, 8).executions


@pytest.mark.parametrize("strategy, options", [("dfs", {}), ("dfs", {"state_caching": False}),
                                               ("dpor", {"reduction": "optimal"}), ("dpor", {}), ("bfs", {})])
def test_the_estimate_does_not_change_the_search(strategy, options):
    built = classic("lastzero", 3)
    told = []
    plain = search(strategy, built.program, built.properties, **options)
    estimated = search(strategy, built.program, built.properties, estimate_probes=50, on_estimate=told.append,
                       **options)
    assert plain.estimate is None and estimated.estimate is told[0]
    assert (plain.verdict, plain.coverage.to_json(), plain.reached) == \
        (estimated.verdict, estimated.coverage.to_json(), estimated.reached)


def test_a_sampling_strategy_gets_no_estimate_and_asking_for_one_is_refused():
    built = classic("lastzero", 3)
    assert search("random", built.program, built.properties, runs=5).estimate is None
    with pytest.raises(OptionError, match=r"^--estimate-probes: --strategy random --runs 5 has no cost estimate"):
        search("random", built.program, built.properties, estimate_probes=50, runs=5)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_prints_the_estimate_on_stderr_before_and_how_far_off_after(capsys):
    code, out, err = run(capsys, "check", "lastzero", "--n", "3", "--strategy", "dfs", "--no-state-cache")
    assert code == 0 and "estimate:" not in out
    truth = count_executions(classic("lastzero", 3).program)
    lines = err.splitlines()
    assert lines[0].startswith("  estimate: about ") and "executions" in lines[0]
    assert any(line.startswith("  estimated ") and f"ran {truth:,} (off by " in line for line in lines)


def test_check_json_carries_the_estimate_and_no_estimate_turns_it_off(capsys):
    code, out, err = run(capsys, "check", "indexer", "--n", "12", "--strategy", "dpor", "--json")
    doc = json.loads(out)
    assert doc["estimate"]["ran"] == doc["result"]["coverage"]["complete"] == 8
    assert doc["estimate"]["executions"] == 8 and doc["estimate"]["off_by"] == 0
    assert "estimated 8 complete executions, ran 8 (off by +0%)" in err
    code, out, err = run(capsys, "check", "indexer", "--n", "12", "--strategy", "dpor", "--json", "--no-estimate")
    assert json.loads(out)["estimate"] is None and "estimate" not in err
    code, out, err = run(capsys, "check", "indexer", "--n", "12", "--strategy", "dpor", "-q")
    assert "estimate" not in err and "estimate" not in out


def test_a_dpor_progress_line_counts_complete_executions_against_the_estimate():
    from unpack_race.reports.estimate_text import estimate_progress
    from unpack_race.scheduler.estimate import Estimate
    e = Estimate(SLEEP_SETS, executions=100.0, steps=1000.0, seconds=1.0, probes=10, seed=0, reached=10)
    assert estimate_progress(e, 500, 10.0, complete=50) == ", 50% of about 100, about 10 s left by the estimate"
    lower = Estimate(STATE_GRAPH, executions=100.0, steps=1000.0, seconds=1.0, probes=10, seed=0, reached=1)
    assert estimate_progress(lower, 50, 10.0) == ""  # a lower bound makes no percentage
